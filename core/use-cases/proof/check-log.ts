import { openNote } from '../../adapters/keys/signed-note.ts';
import { entryOfReceipt, leafBytes, parseLeaf, type LogEntry, type ReceiptClaims } from './entries.ts';
import { leafHash, MerkleTree, verifyInclusion } from './merkle.ts';
import { originOf } from './public-log.ts';
import type { SoldOutClaims } from './check-receipt.ts';

/** One thing checked, in plain words: whether it holds. */
export interface Finding {
  holds: boolean;
  says: string;
}

/** How far back one decision's time may be from the one before it: the API processes' clocks differ a little. */
export const CLOCK_SKEW_MS = 1_000;

/** Everything a checker needs, from the server or from an export (terning log export). */
export interface LogCopy {
  checkpoint: string;
  entries: string[];
  keys: { raw: Buffer }[];
}

export interface LogReport {
  findings: Finding[];
  holds: boolean;
  tree?: MerkleTree;
  entries?: LogEntry[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The operator's changes of one kind that may be in effect at time `t`: the last one made by then,
 * and any made within the API processes' clock skew of it (their times come from different clocks).
 */
function inEffect<T extends { at: number }>(changes: T[], t: number): T[] {
  let last: T | undefined;
  for (const c of changes) if (c.at <= t - CLOCK_SKEW_MS && (!last || c.at >= last.at)) last = c;
  return [...(last ? [last] : []), ...changes.filter((c) => c.at > t - CLOCK_SKEW_MS && c.at <= t + CLOCK_SKEW_MS)];
}

/**
 * The log as a whole: its checkpoint is signed by a published key, the entries are the checkpoint's
 * (same size, same root), and what they tell is a fair giveaway: tickets 1..N each decided once (a
 * winner, or a unit given back), times that do not go back, nothing decided before the event opened,
 * no ticket handed out while the winners held every unit, nobody winning after the close, no change to
 * the event after it closed.
 *
 * Winners and stock: a winner keeps their unit, and the gate hands out a ticket only while a unit is
 * free, so at each ticket the winners before it are fewer than the stock then (whatever that ticket
 * became); in the end no more winners than the stock. Fewer winners than the stock is not a finding:
 * the log holds only those who took a unit, so an event that closed, or ran out of applicants, or
 * whose last units were given back, looks the same as one that turned people away. "Winners =
 * stock" is checkable only against the event's sold-out statement, which says it sold out
 * (checkSoldOutInLog).
 */
export function checkLog(eventId: string, logName: string | undefined, copy: LogCopy): LogReport {
  const findings: Finding[] = [];
  const say = (holds: boolean, says: string) => findings.push({ holds, says });
  const done = (): LogReport => ({ findings, holds: findings.every((f) => f.holds) });

  const opened = openNote(copy.checkpoint, copy.keys);
  if ('problem' in opened) {
    say(false, `the checkpoint's signature does not hold: ${opened.problem}`);
    return done();
  }
  const [origin, sizeLine, rootLine, ...rest] = opened.text.slice(0, -1).split('\n');
  const size = Number(sizeLine);
  const root = Buffer.from(rootLine ?? '', 'base64');
  const wantOrigin = originOf(logName ?? opened.name, eventId);
  if (origin !== wantOrigin || !/^\d+$/.test(sizeLine ?? '') || root.length !== 32 || root.toString('base64') !== rootLine || rest.length) {
    say(false, `the checkpoint is signed, but is not the checkpoint of ${wantOrigin} (origin, size, root)`);
    return done();
  }
  say(true, `the checkpoint is signed by ${opened.name}'s published key: ${origin}, ${size} entries`);

  if (copy.entries.length !== size) {
    say(false, `the log holds ${copy.entries.length} entries, the checkpoint says ${size}`);
    return done();
  }
  const entries: LogEntry[] = [];
  const tree = new MerkleTree();
  for (const [i, text] of copy.entries.entries()) {
    const bytes = Buffer.from(text, 'utf8');
    const e = parseLeaf(bytes);
    if (typeof e === 'string' || e.event !== eventId) {
      say(false, `entry ${i} is not an entry of this log: ${typeof e === 'string' ? e : `it names event ${e.event}`}`);
      return done();
    }
    entries.push(e);
    tree.append(leafHash(bytes));
  }
  if (!tree.root().equals(root)) {
    say(false, "the entries do not hash to the checkpoint's root: an entry was changed, added, removed or moved");
    return done();
  }
  say(true, "the entries hash to the checkpoint's root (RFC 6962): they are exactly what was signed");

  const decisions = entries.filter((e): e is LogEntry & { kind: 'won' | 'released' } => e.kind === 'won' || e.kind === 'released');
  const winners = decisions.filter((e) => e.kind === 'won');
  const gap = decisions.findIndex((d, i) => d.ticket !== i + 1);
  if (gap >= 0)
    say(false, `the tickets are not 1..${decisions.length} in order: entry for ticket ${decisions[gap]!.ticket} where ${gap + 1} belongs`);
  else
    say(
      true,
      `tickets 1..${decisions.length} are each decided once, in order: ${winners.length} winners, ${decisions.length - winners.length} units given back and handed out again`,
    );

  let back = 0;
  for (let i = 1; i < decisions.length; i++) back = Math.max(back, decisions[i - 1]!.at - decisions[i]!.at);
  if (back > CLOCK_SKEW_MS)
    say(false, `the decisions' times go back by ${back} ms in ticket order: the order was not the order of arrival`);
  else say(true, `the decisions' times never go back in ticket order${back ? ` (by ${back} ms at most: the API processes' clocks)` : ''}`);

  const opens = entries.filter((e): e is LogEntry & { kind: 'open' } => e.kind === 'open');
  const early = decisions.find((d) => !inEffect(opens, d.at).some((o) => o.opensAt <= d.at + CLOCK_SKEW_MS));
  if (early)
    say(
      false,
      `ticket ${early.ticket} was decided at ${iso(early.at)}, before the event opened${opens.length ? '' : ' (the log holds no open)'}`,
    );
  else if (decisions.length) say(true, 'nothing was decided before the event opened');

  const stocks = entries.filter((e): e is LogEntry & { kind: 'stock' } => e.kind === 'stock');
  const total = stocks.at(-1)?.total;
  let won = 0;
  const over = decisions.find((d) => {
    const units = Math.max(-1, ...inEffect(stocks, d.at).map((s) => s.total));
    const full = units >= 0 && won >= units;
    if (d.kind === 'won') won++;
    return full;
  });
  if (total === undefined)
    say(winners.length === 0, winners.length ? `${winners.length} winners, but the log sets no stock` : 'no stock was set yet');
  else if (winners.length > total) say(false, `${winners.length} winners for a stock of ${total}: more winners than units`);
  else if (over)
    say(false, `ticket ${over.ticket} was handed out while the winners before it already held every unit: more tickets than units`);
  else
    say(
      true,
      winners.length === total
        ? `${winners.length} winners for a stock of ${total}: sold out, exactly the stock`
        : `${winners.length} winners for a stock of ${total}: ${total - winners.length} units were left (the event closed, nobody else came, or they were given back at the end: the log does not show who was turned away)`,
    );

  const closes = entries.filter((e): e is LogEntry & { kind: 'close' } => e.kind === 'close');
  const closedAt = (at: number) =>
    closes
      .filter((c) => c.at <= at && c.closesAt <= at)
      .map((c) => c.closesAt)
      .sort((a, b) => a - b)[0];
  const late = winners.filter((w) => closedAt(w.at) !== undefined);
  if (late.length)
    say(false, `${late.length} winners were decided after the event closed (ticket ${late[0]!.ticket} at ${iso(late[0]!.at)})`);
  else if (closes.length) say(true, 'nobody won after the event closed');
  const changed = entries.filter((e) => (e.kind === 'stock' || e.kind === 'open') && closedAt(e.at) !== undefined);
  if (changed.length) say(false, `the event was changed after it closed: ${changed[0]!.kind} at ${iso(changed[0]!.at)}`);
  else if (closes.length) say(true, 'nothing was changed after the event closed');
  return { findings, holds: findings.every((f) => f.holds), tree, entries };
}

/** A receipt's entry in a checked log: the same bytes at its ticket, and its inclusion proof leading to the root. */
export function checkReceiptInLog(
  claims: ReceiptClaims,
  report: LogReport,
  served?: { index: number; size: number; proof: string[]; root: Buffer },
): Finding[] {
  const { tree, entries } = report;
  if (!tree || !entries) return [];
  const index = entries.findIndex((e) => (e.kind === 'won' || e.kind === 'released') && e.ticket === claims.ticket);
  if (index < 0)
    return [
      {
        holds: false,
        says: `ticket ${claims.ticket} is not in the log yet (it enters once persisted, with every ticket before it): check again in a moment`,
      },
    ];
  const mine = leafBytes(entryOfReceipt(claims));
  if (!leafBytes(entries[index]!).equals(mine))
    return [{ holds: false, says: `the log's entry for ticket ${claims.ticket} is not the receipt's: ${JSON.stringify(entries[index])}` }];
  const out: Finding[] = [
    {
      holds: true,
      says: `the log holds the receipt's entry: ticket ${claims.ticket}, won at ${iso(claims.at)}, entry ${index} of ${tree.size}`,
    },
  ];
  const local = verifyInclusion(index, tree.size, leafHash(mine), tree.inclusionProof(index), tree.root());
  out.push({ holds: local === undefined, says: local ?? 'its inclusion proof leads to the signed root' });
  if (served) {
    const problem = verifyInclusion(
      served.index,
      served.size,
      leafHash(mine),
      served.proof.map((p) => Buffer.from(p, 'base64')),
      served.root,
    );
    out.push({
      holds: problem === undefined,
      says: problem ? `the server's inclusion proof does not hold: ${problem}` : "the server's own inclusion proof holds too",
    });
  }
  return out;
}

/**
 * An event's sold-out statement against its checked log. The statement says that at its moment every
 * unit of the stock then (`units`) was taken, the last by ticket `lastTicket` (L). Each ticket took a
 * unit, and a ticket given back before that moment returned its unit, so, with W the winners among
 * tickets 1..L: W <= units <= L, and with no ticket among them given back, exactly W = units = L: an
 * event said to be sold out must have its units filled by winners. The stock in effect between ticket
 * L and the next one must be `units`. A ticket after L needs a unit freed after the moment: one of
 * tickets 1..L given back, or the stock raised.
 */
export function checkSoldOutInLog(claims: SoldOutClaims, report: LogReport): Finding[] {
  const { entries } = report;
  if (!entries) return [];
  const { units, lastTicket: last } = claims;
  const decisions = entries.filter((e): e is LogEntry & { kind: 'won' | 'released' } => e.kind === 'won' || e.kind === 'released');
  const lastEntry = decisions.find((d) => d.ticket === last);
  if (!lastEntry)
    return [
      {
        holds: false,
        says: `the statement's last ticket ${last} is not in the log yet (it enters once persisted, with every ticket before it): check again in a moment`,
      },
    ];
  const out: Finding[] = [];
  const next = decisions.find((d) => d.ticket === last + 1);
  const stocks = entries.filter((e): e is LogEntry & { kind: 'stock' } => e.kind === 'stock');
  const then = new Set(
    [...inEffect(stocks, lastEntry.at), ...stocks.filter((s) => s.at > lastEntry.at && (!next || s.at <= next.at + CLOCK_SKEW_MS))].map(
      (s) => s.total,
    ),
  );
  out.push(
    then.has(units)
      ? { holds: true, says: `its ${units} units are the stock the log set then` }
      : { holds: false, says: `it says ${units} units, but the stock the log set then was ${[...then].join(' or ') || 'none'}` },
  );
  const upTo = decisions.filter((d) => d.ticket <= last);
  const won = upTo.filter((d) => d.kind === 'won').length;
  const back = upTo.length - won;
  if (units > last)
    out.push({
      holds: false,
      says: `it says ${units} units were taken by ticket ${last}, but only ${last} tickets were handed out: the event was not sold out`,
    });
  else if (won > units)
    out.push({ holds: false, says: `the log holds ${won} winners among tickets 1..${last}, more than the statement's ${units} units` });
  else
    out.push({
      holds: true,
      says: back
        ? `tickets 1..${last}: ${won} winners and ${back} given back, which fills ${units} units at the moment it sold (${last - units} given back before it and handed out again)`
        : `tickets 1..${last} are ${won} winners: exactly the ${units} units, filled`,
    });
  if (next) {
    const raised = stocks.some((s) => s.at > lastEntry.at - CLOCK_SKEW_MS && s.total > units);
    out.push(
      back > last - units || raised
        ? { holds: true, says: `the log goes on after ticket ${last}: a unit given back or the stock raised let more in` }
        : {
            holds: false,
            says: `ticket ${last + 1} was handed out after the event sold out, with no unit given back and no stock raised`,
          },
    );
  }
  return out;
}
