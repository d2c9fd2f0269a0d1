import { createHash, createHmac, type KeyObject } from 'node:crypto';

/**
 * What an event's public log holds, one entry per leaf, in the order the log builder appended them:
 * the gate's decisions in ticket order (a winner, or a unit given back) and the operator's changes to
 * the event. A winner is named by a commitment, never by an address: SHA-256(nonce || person). The
 * 32-byte nonce is in the winner's receipt, so the winner can show that the entry is theirs; it is
 * derived from `nonceSecret` (nonceOf), so whoever holds the receipt or the secret can test guessed
 * addresses against the log, and nobody else.
 */
export type LogEntry =
  | { kind: 'won'; event: string; ticket: number; at: number; commitment: string }
  | { kind: 'released'; event: string; ticket: number; at: number }
  | { kind: 'stock'; event: string; at: number; total: number }
  | { kind: 'open'; event: string; at: number; opensAt: number }
  | { kind: 'close'; event: string; at: number; closesAt: number };

/** The claims of a winner's receipt: the log entry's fields, and the nonce that opens its commitment. */
export interface ReceiptClaims {
  v: 1;
  event: string;
  ticket: number;
  at: number;
  commitment: string;
  nonce: string;
}

/**
 * A leaf's bytes: JSON with its keys in one fixed order, so anyone who holds a receipt can write the
 * leaf again byte for byte (docs/verify-receipt.mjs does, with node:crypto only). Event ids are
 * lower-case letters, digits and dashes (rules.ts), so nothing in them is escaped.
 */
export function leafBytes(e: LogEntry): Buffer {
  const head = `{"v":1,"kind":"${e.kind}","event":${JSON.stringify(e.event)}`;
  switch (e.kind) {
    case 'won':
      return Buffer.from(`${head},"ticket":${e.ticket},"at":${e.at},"commitment":"${e.commitment}"}`);
    case 'released':
      return Buffer.from(`${head},"ticket":${e.ticket},"at":${e.at}}`);
    case 'stock':
      return Buffer.from(`${head},"at":${e.at},"total":${e.total}}`);
    case 'open':
      return Buffer.from(`${head},"at":${e.at},"opensAt":${e.opensAt}}`);
    case 'close':
      return Buffer.from(`${head},"at":${e.at},"closesAt":${e.closesAt}}`);
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
const int = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A leaf read back (from a log, an export, a stranger): the entry, or why it is none. Its bytes must be the canonical ones. */
export function parseLeaf(bytes: Buffer): LogEntry | string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'the entry is not JSON';
  }
  if (o === null || typeof o !== 'object' || o.v !== 1 || typeof o.event !== 'string' || !int(o.at))
    return 'the entry is not a log entry of version 1';
  let e: LogEntry;
  switch (o.kind) {
    case 'won':
      if (!int(o.ticket) || typeof o.commitment !== 'string' || !HEX64.test(o.commitment))
        return "a winner's entry needs a ticket and a commitment";
      e = { kind: 'won', event: o.event, ticket: o.ticket as number, at: o.at as number, commitment: o.commitment };
      break;
    case 'released':
      if (!int(o.ticket)) return "a released unit's entry needs a ticket";
      e = { kind: 'released', event: o.event, ticket: o.ticket as number, at: o.at as number };
      break;
    case 'stock':
      if (!int(o.total)) return 'a stock entry needs a total';
      e = { kind: 'stock', event: o.event, at: o.at as number, total: o.total as number };
      break;
    case 'open':
      if (!int(o.opensAt)) return 'an open entry needs opensAt';
      e = { kind: 'open', event: o.event, at: o.at as number, opensAt: o.opensAt as number };
      break;
    case 'close':
      if (!int(o.closesAt)) return 'a close entry needs closesAt';
      e = { kind: 'close', event: o.event, at: o.at as number, closesAt: o.closesAt as number };
      break;
    default:
      return `the entry's kind ${JSON.stringify(o.kind)} is unknown`;
  }
  return leafBytes(e).equals(bytes) ? e : 'the entry is not written in its one canonical form';
}

/** SHA-256(nonce || person), hex: what the log shows of a winner. */
export function commitmentOf(person: string, nonce: Buffer): string {
  return createHash('sha256').update(nonce).update(person, 'utf8').digest('hex');
}

/**
 * The nonce of a winner's commitment, derived rather than drawn: HMAC-SHA256(secret, event, ticket,
 * person). Any API process answers the same receipt to a repeat, a status call or the stream, and the
 * log builder writes the same commitment from MySQL's row, with nothing carried or stored
 * (docs/proof-of-place.md says why this is sound, and what the secret must be kept from). A caller
 * that derives many passes the secret as a KeyObject: a Buffer is imported anew on every call.
 */
export function nonceOf(secret: Buffer | KeyObject, event: string, ticket: number, person: string): Buffer {
  return createHmac('sha256', secret).update(`terning-receipt-nonce\n${event}\n${ticket}\n${person}`).digest();
}

/** A winner's receipt claims and their log entry, from the decision. */
export function winnerClaims(secret: Buffer | KeyObject, event: string, ticket: number, at: number, person: string): ReceiptClaims {
  const nonce = nonceOf(secret, event, ticket, person);
  return { v: 1, event, ticket, at, commitment: commitmentOf(person, nonce), nonce: nonce.toString('base64url') };
}

/** The log entry a receipt stands for. */
export const entryOfReceipt = (c: ReceiptClaims): LogEntry => ({
  kind: 'won',
  event: c.event,
  ticket: c.ticket,
  at: c.at,
  commitment: c.commitment,
});
