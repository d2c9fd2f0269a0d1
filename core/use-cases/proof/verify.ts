import { checkReceipt, checkSoldOut, type SoldOutClaims } from './check-receipt.ts';
import { checkLog, checkReceiptInLog, checkSoldOutInLog, type Finding } from './check-log.ts';
import type { LogSource } from '../../adapters/public-log/sources.ts';
import { openNote } from '../../adapters/keys/signed-note.ts';
import type { MerkleTree } from './merkle.ts';

export interface VerifyRequest {
  /** A winner's receipt, or an event's sold-out statement (every SOLD_OUT carries it): told apart by its typ. */
  receipt?: string;
  eventId?: string;
  person?: string;
  /** A checkpoint kept from before: the log now must extend it. */
  since?: string;
}

/** The typ a JWS's header says, unchecked: only to tell a statement from a receipt. */
function typeOf(jws: string): unknown {
  try {
    return (JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as { typ?: unknown })?.typ;
  } catch {
    return undefined;
  }
}

/**
 * What `terning verify` tells: the receipt's signature (and, given the address, that it is theirs),
 * the log's latest checkpoint and every entry in it, and the receipt's entry and its inclusion proof;
 * or, given a sold-out statement, its signature and whether the log bears it out.
 */
export async function verify(source: LogSource, req: VerifyRequest): Promise<{ eventId?: string; findings: Finding[] }> {
  const findings: Finding[] = [];
  const jwks = await source.jwks();
  let eventId = req.eventId;
  let claims;
  let soldOut: SoldOutClaims | undefined;
  if (req.receipt !== undefined && typeOf(req.receipt) === 'terning-sold-out+jws') {
    const s = await checkSoldOut(req.receipt, jwks);
    if (!s.ok) return { eventId, findings: [{ holds: false, says: s.problem }] };
    soldOut = s.claims;
    findings.push({
      holds: true,
      says: `the sold-out statement is signed by a published key (kid ${s.kid}): event ${soldOut.event} sold its ${soldOut.units} units, the last to ticket ${soldOut.lastTicket}, at ${new Date(soldOut.at).toISOString()}`,
    });
    if (eventId !== undefined && eventId !== soldOut.event)
      return { eventId, findings: [...findings, { holds: false, says: `the statement is for event ${soldOut.event}, not ${eventId}` }] };
    eventId = soldOut.event;
  } else if (req.receipt !== undefined) {
    const r = await checkReceipt(req.receipt, jwks, req.person);
    if (!r.ok) return { eventId, findings: [{ holds: false, says: r.problem }] };
    claims = r.claims;
    findings.push({
      holds: true,
      says: `the receipt is signed by a published key (kid ${r.kid}): ticket ${claims.ticket} of event ${claims.event}`,
    });
    if (req.person !== undefined) findings.push({ holds: true, says: `its commitment opens to ${req.person}: the receipt is theirs` });
    if (eventId !== undefined && eventId !== claims.event)
      return { eventId, findings: [...findings, { holds: false, says: `the receipt is for event ${claims.event}, not ${eventId}` }] };
    eventId = claims.event;
  }
  if (eventId === undefined) throw new Error('verify needs a receipt or an event');
  const keys = (jwks.keys ?? [])
    .filter((k) => k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string')
    .map((k) => ({ raw: Buffer.from(k.x!, 'base64url') }));
  const checkpoint = await source.checkpoint(eventId);
  const report = checkLog(eventId, undefined, { checkpoint, entries: await source.entries(eventId), keys });
  findings.push(...report.findings);
  if (req.since !== undefined && report.tree) findings.push(extends_(req.since, report.tree, keys));
  // The receipt's place is checked whenever the log's entries are the signed ones, even when what
  // they tell fails a finding: a winner learns both that their win is in the log and what is wrong.
  if (claims && report.tree) {
    const served = await source.proof?.(eventId, claims.ticket);
    const same = served && served.checkpoint === checkpoint;
    findings.push(...checkReceiptInLog(claims, report, same ? { ...served, root: report.tree.root() } : undefined));
    if (served && !same)
      findings.push({
        holds: true,
        says: `the server's own inclusion proof was not compared: it is for a checkpoint of ${served.size} entries, the one checked has ${report.tree.size} (the log moved between the two reads): check again to compare`,
      });
  }
  if (soldOut && report.entries) findings.push(...checkSoldOutInLog(soldOut, report));
  return { eventId, findings };
}

/** That the log, as it is now, still holds a checkpoint kept from before, unchanged. */
function extends_(since: string, tree: MerkleTree, keys: { raw: Buffer }[]): Finding {
  const opened = openNote(since, keys);
  if ('problem' in opened) return { holds: false, says: `the kept checkpoint's signature does not hold: ${opened.problem}` };
  const [, sizeLine, rootLine] = opened.text.split('\n');
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size) || size < 0) return { holds: false, says: 'the kept checkpoint names no size' };
  if (size > tree.size)
    return { holds: false, says: `the kept checkpoint had ${size} entries, the log now ${tree.size}: the log was cut back` };
  if (tree.root(size).toString('base64') !== rootLine)
    return { holds: false, says: `the log's first ${size} entries are not those of the kept checkpoint: the log was rewritten` };
  return { holds: true, says: `the log extends the kept checkpoint (${size} entries, now ${tree.size}): nothing before it changed` };
}
