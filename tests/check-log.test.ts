import test from 'ava';
import { JwsSigner, jwksOf } from '../core/adapters/keys/jws.ts';
import { newKeysFile, parseProofKeys } from '../core/adapters/keys/proof-keys.ts';
import { signNote } from '../core/adapters/keys/signed-note.ts';
import type { LogSource } from '../core/adapters/public-log/sources.ts';
import { checkLog, type Finding, type LogCopy } from '../core/use-cases/proof/check-log.ts';
import { leafBytes, winnerClaims, type LogEntry } from '../core/use-cases/proof/entries.ts';
import { leafHash, MerkleTree } from '../core/use-cases/proof/merkle.ts';
import { checkpointText, originOf } from '../core/use-cases/proof/public-log.ts';
import { verify } from '../core/use-cases/proof/verify.ts';

// What the checks tell of logs written here, signed with a key made here: no server, no service.
const keys = parseProofKeys(newKeysFile(), 'test');
const signer = new JwsSigner(keys);
const EVENT = 'ev-check';
const T = Date.parse('2026-12-01T10:00:00Z');
const person = (i: number) => `person-${i}@example.com`;
const commitment = (ticket: number) => winnerClaims(keys.nonceSecret, EVENT, ticket, T, person(ticket)).commitment;

const stock = (at: number, total: number): LogEntry => ({ kind: 'stock', event: EVENT, at, total });
const open = (at: number, opensAt = at): LogEntry => ({ kind: 'open', event: EVENT, at, opensAt });
const close = (at: number): LogEntry => ({ kind: 'close', event: EVENT, at, closesAt: at });
const won = (ticket: number, at: number): LogEntry => ({ kind: 'won', event: EVENT, ticket, at, commitment: commitment(ticket) });
const released = (ticket: number, at: number): LogEntry => ({ kind: 'released', event: EVENT, ticket, at });

/** The log of these entries, as a server would serve it: the entries' bytes and a signed checkpoint. */
function logOf(entries: LogEntry[], size = entries.length): LogCopy {
  const tree = new MerkleTree();
  const texts = entries.map((e) => leafBytes(e).toString('utf8'));
  for (const text of texts.slice(0, size)) tree.append(leafHash(Buffer.from(text)));
  return {
    checkpoint: signNote(checkpointText(originOf('terning', EVENT), size, tree.root()), 'terning', keys),
    entries: texts.slice(0, size),
    keys: keys.published,
  };
}
const check = (entries: LogEntry[]) => checkLog(EVENT, undefined, logOf(entries));
const failed = (findings: Finding[]) => findings.filter((f) => !f.holds).map((f) => f.says);

test('a fair log holds: stock, open, the winners in order, close', (t) => {
  const r = check([stock(T - 60_000, 2), open(T - 30_000), won(1, T), won(2, T + 5), close(T + 60_000)]);
  t.deepEqual(failed(r.findings), []);
  t.true(r.findings.some((f) => f.says === '2 winners for a stock of 2: sold out, exactly the stock'));
  t.true(r.findings.some((f) => f.says === 'nothing was decided before the event opened'));
});

test('winners and stock: no ticket while the winners held every unit; fewer winners than units is told, not failed', (t) => {
  // Stock 2: two winners held both units, so the gate could hand out no third ticket, even one given back.
  const third = check([stock(T - 60_000, 2), open(T - 30_000), won(1, T), won(2, T + 5), released(3, T + 10)]);
  t.deepEqual(failed(third.findings), [
    'ticket 3 was handed out while the winners before it already held every unit: more tickets than units',
  ]);
  // A unit given back and handed out again: three tickets for two units, two winners.
  t.deepEqual(failed(check([stock(T - 60_000, 2), open(T - 30_000), won(1, T), released(2, T + 5), won(3, T + 10)]).findings), []);
  // The stock raised mid-event counts from when it was set.
  t.deepEqual(failed(check([stock(T - 60_000, 1), open(T - 30_000), won(1, T), stock(T + 5_000, 2), won(2, T + 10_000)]).findings), []);
  t.deepEqual(failed(check([stock(T - 60_000, 1), open(T - 30_000), won(1, T), won(2, T + 5_000), stock(T + 10_000, 2)]).findings), [
    'ticket 2 was handed out while the winners before it already held every unit: more tickets than units',
  ]);
  // Closed with a unit left: the log can not show whether anyone was turned away, and says so.
  const left = check([stock(T - 60_000, 3), open(T - 30_000), won(1, T), released(2, T + 5), won(3, T + 10), close(T + 60_000)]);
  t.deepEqual(failed(left.findings), []);
  t.true(left.findings.some((f) => f.says.startsWith('2 winners for a stock of 3: 1 units were left (the event closed')));
});

test('nothing is decided before the event opened: now, or at the time it was scheduled for', (t) => {
  const before = check([stock(T - 60_000, 2), open(T - 30_000), won(1, T - 40_000)]);
  t.deepEqual(failed(before.findings), [`ticket 1 was decided at ${new Date(T - 40_000).toISOString()}, before the event opened`]);
  const scheduled = check([stock(T - 60_000, 2), open(T - 30_000, T + 60_000), won(1, T)]);
  t.deepEqual(failed(scheduled.findings), [`ticket 1 was decided at ${new Date(T).toISOString()}, before the event opened`]);
  const none = check([stock(T - 60_000, 2), won(1, T)]);
  t.deepEqual(failed(none.findings), [
    `ticket 1 was decided at ${new Date(T).toISOString()}, before the event opened (the log holds no open)`,
  ]);
  t.deepEqual(failed(check([stock(T - 60_000, 2), open(T - 30_000, T + 60_000), won(1, T + 60_000)]).findings), []);
});

/** A server whose checkpoint and entries are the first `size` entries, and whose own proofs are over all of them. */
function serverOf(entries: LogEntry[], size = entries.length): LogSource {
  const log = logOf(entries, size);
  const all = logOf(entries);
  return {
    where: 'memory',
    jwks: async () => jwksOf(keys),
    checkpoint: async () => log.checkpoint,
    entries: async () => log.entries,
    async proof(_, ticket) {
      const tree = new MerkleTree();
      for (const text of all.entries) tree.append(leafHash(Buffer.from(text)));
      const index = entries.findIndex((e) => 'ticket' in e && e.ticket === ticket);
      const proof = tree.inclusionProof(index).map((p) => p.toString('base64'));
      return { index, size: entries.length, proof, checkpoint: all.checkpoint };
    },
  };
}
const receiptOf = (ticket: number, at: number) =>
  signer.sign('terning-receipt+jws', winnerClaims(keys.nonceSecret, EVENT, ticket, at, person(ticket)));

test("a receipt's place in the log is checked even when a finding about the log fails: both are told", async (t) => {
  // Ticket 2 won after the close: a fairness finding fails, and ticket 1's receipt is still in the log.
  const entries = [stock(T - 60_000, 2), open(T - 30_000), won(1, T), close(T + 1_000), won(2, T + 5_000)];
  const { findings } = await verify(serverOf(entries), { receipt: await receiptOf(1, T), person: person(1) });
  t.deepEqual(failed(findings), [`1 winners were decided after the event closed (ticket 2 at ${new Date(T + 5_000).toISOString()})`]);
  t.true(findings.some((f) => f.holds && f.says.startsWith("the log holds the receipt's entry: ticket 1")));
  t.true(findings.some((f) => f.holds && f.says === 'its inclusion proof leads to the signed root'));
  t.true(findings.some((f) => f.holds && f.says === "the server's own inclusion proof holds too"));
});

test("the server's own inclusion proof, for another checkpoint than the one checked, is said to be not compared", async (t) => {
  const entries = [stock(T - 60_000, 2), open(T - 30_000), won(1, T), won(2, T + 5)];
  const same = await verify(serverOf(entries), { receipt: await receiptOf(1, T) });
  t.deepEqual(failed(same.findings), []);
  t.true(same.findings.some((f) => f.says === "the server's own inclusion proof holds too"));
  // The checkpoint read first had 3 entries; by the proof's read the log held 4.
  const moved = await verify(serverOf(entries, 3), { receipt: await receiptOf(1, T) });
  t.deepEqual(failed(moved.findings), []);
  t.false(moved.findings.some((f) => f.says === "the server's own inclusion proof holds too"));
  t.true(
    moved.findings.some(
      (f) =>
        f.says ===
        "the server's own inclusion proof was not compared: it is for a checkpoint of 4 entries, the one checked has 3 (the log moved between the two reads): check again to compare",
    ),
  );
});

const statementOf = (units: number, lastTicket: number, at: number, event = EVENT) =>
  signer.sign('terning-sold-out+jws', { v: 1, event, units, lastTicket, at });

test('a sold-out statement against the log: its units are the stock, filled by the tickets up to its last', async (t) => {
  const says = async (entries: LogEntry[], statement: string) => (await verify(serverOf(entries), { receipt: statement })).findings;
  const sold = [stock(T - 60_000, 2), open(T - 30_000), won(1, T), won(2, T + 5)];
  const ok = await says(sold, await statementOf(2, 2, T + 5));
  t.deepEqual(failed(ok), []);
  t.deepEqual(
    ok.slice(-2).map((f) => f.says),
    ['its 2 units are the stock the log set then', 'tickets 1..2 are 2 winners: exactly the 2 units, filled'],
  );
  t.regex(
    ok[0]!.says,
    /^the sold-out statement is signed by a published key \(kid \S+\): event ev-check sold its 2 units, the last to ticket 2/,
  );
  // A unit given back before it sold, and handed out again: 3 tickets for 2 units.
  const again = await says(
    [stock(T - 60_000, 2), open(T - 30_000), won(1, T), released(2, T + 5), won(3, T + 10)],
    await statementOf(2, 3, T + 10),
  );
  t.deepEqual(failed(again), []);
  t.true(
    again.some(
      (f) =>
        f.says ===
        'tickets 1..3: 2 winners and 1 given back, which fills 2 units at the moment it sold (1 given back before it and handed out again)',
    ),
  );
  // Said to be sold out with 3 units, when 2 tickets were handed out: the units were not filled.
  const under = [stock(T - 60_000, 3), open(T - 30_000), won(1, T), won(2, T + 5), close(T + 60_000)];
  t.deepEqual(failed(await says(under, await statementOf(3, 2, T + 5))), [
    'it says 3 units were taken by ticket 2, but only 2 tickets were handed out: the event was not sold out',
  ]);
  t.deepEqual(failed(await says(sold, await statementOf(3, 2, T + 5))), [
    'it says 3 units, but the stock the log set then was 2',
    'it says 3 units were taken by ticket 2, but only 2 tickets were handed out: the event was not sold out',
  ]);
  t.deepEqual(failed(await says(sold, await statementOf(2, 3, T + 5))), [
    "the statement's last ticket 3 is not in the log yet (it enters once persisted, with every ticket before it): check again in a moment",
  ]);
  // A ticket after it sold, with no unit given back and no stock raised.
  t.true(
    failed(await says([...sold, won(3, T + 10)], await statementOf(2, 2, T + 5))).includes(
      'ticket 3 was handed out after the event sold out, with no unit given back and no stock raised',
    ),
  );
  // The stock raised after it sold lets more in.
  t.deepEqual(failed(await says([...sold, stock(T + 5_000, 3), won(3, T + 10_000)], await statementOf(2, 2, T + 5))), []);
  // Changed after signing, or another event's.
  const [h, , sig] = (await statementOf(2, 2, T + 5)).split('.');
  const changed = `${h}.${Buffer.from(JSON.stringify({ v: 1, event: EVENT, units: 1, lastTicket: 2, at: T + 5 })).toString('base64url')}.${sig}`;
  t.deepEqual(failed(await says(sold, changed)), [
    "the sold-out statement's signature does not hold: the signature does not match what is signed: it was changed after signing, or signed by another key",
  ]);
  t.deepEqual(failed((await verify(serverOf(sold), { receipt: await statementOf(2, 2, T + 5, 'ev-other'), eventId: EVENT })).findings), [
    `the statement is for event ev-other, not ${EVENT}`,
  ]);
});
