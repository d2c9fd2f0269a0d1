import { checkReceipt } from './check-receipt.ts';
import { checkLog, checkReceiptInLog, type Finding } from './check-log.ts';
import type { LogSource } from '../../adapters/public-log/sources.ts';

export interface VerifyRequest { receipt?: string; eventId?: string; person?: string }

/**
 * What `terning verify` tells: the receipt's signature (and, given the address, that it is theirs),
 * the log's latest checkpoint and every entry in it, and the receipt's entry and its inclusion proof.
 */
export async function verify(source: LogSource, req: VerifyRequest): Promise<{ eventId?: string; findings: Finding[] }> {
  const findings: Finding[] = [];
  const jwks = await source.jwks();
  let eventId = req.eventId;
  let claims;
  if (req.receipt !== undefined) {
    const r = await checkReceipt(req.receipt, jwks, req.person);
    if (!r.ok) return { eventId, findings: [{ holds: false, says: r.problem }] };
    claims = r.claims;
    findings.push({ holds: true, says: `the receipt is signed by a published key (kid ${r.kid}): ticket ${claims.ticket} of event ${claims.event}` });
    if (req.person !== undefined) findings.push({ holds: true, says: `its commitment opens to ${req.person}: the receipt is theirs` });
    if (eventId !== undefined && eventId !== claims.event) return { eventId, findings: [...findings, { holds: false, says: `the receipt is for event ${claims.event}, not ${eventId}` }] };
    eventId = claims.event;
  }
  if (eventId === undefined) throw new Error('verify needs a receipt or an event');
  const keys = (jwks.keys ?? []).filter((k) => k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string').map((k) => ({ raw: Buffer.from(k.x!, 'base64url') }));
  const checkpoint = await source.checkpoint(eventId);
  const report = checkLog(eventId, undefined, { checkpoint, entries: await source.entries(eventId), keys });
  findings.push(...report.findings);
  if (claims && report.holds) {
    const served = await source.proof?.(eventId, claims.ticket);
    const root = report.tree!.root();
    const same = served && served.checkpoint === checkpoint;
    findings.push(...checkReceiptInLog(claims, report, same ? { ...served, root } : undefined));
  }
  return { eventId, findings };
}
