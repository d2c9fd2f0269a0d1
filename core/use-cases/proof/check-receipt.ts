import type { JSONWebKeySet } from 'jose';
import { verifyJws } from '../../adapters/keys/jws.ts';
import { commitmentOf, type ReceiptClaims } from './entries.ts';
import { EVENT_ID } from '../../domain/rules.ts';

export type Checked<T> = { ok: true; claims: T; kid: string } | { ok: false; problem: string };

const HEX64 = /^[0-9a-f]{64}$/;
const B64URL32 = /^[A-Za-z0-9_-]{43}$/;
const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** A receipt's signature and its claims' shape; with `person`, that the commitment is that person's. */
export async function checkReceipt(jws: string, jwks: JSONWebKeySet, person?: string): Promise<Checked<ReceiptClaims>> {
  const v = await verifyJws(jws, jwks, 'terning-receipt+jws');
  if ('problem' in v) return { ok: false, problem: `the receipt's signature does not hold: ${v.problem}` };
  const c = v.claims as Partial<ReceiptClaims>;
  if (
    c?.v !== 1 ||
    typeof c.event !== 'string' ||
    !EVENT_ID.test(c.event) ||
    !count(c.ticket) ||
    !count(c.at) ||
    typeof c.commitment !== 'string' ||
    !HEX64.test(c.commitment) ||
    typeof c.nonce !== 'string' ||
    !B64URL32.test(c.nonce)
  ) {
    return { ok: false, problem: 'the receipt is signed, but its claims are not a receipt of version 1' };
  }
  const claims = c as ReceiptClaims;
  if (person !== undefined && commitmentOf(person, Buffer.from(claims.nonce, 'base64url')) !== claims.commitment) {
    return {
      ok: false,
      problem: `the receipt's commitment is not to ${person}: it is someone else's receipt, or the address is written otherwise`,
    };
  }
  return { ok: true, claims, kid: v.kid };
}

/** The sold-out statement's claims. */
export interface SoldOutClaims {
  v: 1;
  event: string;
  units: number;
  lastTicket: number;
  at: number;
}

export async function checkSoldOut(jws: string, jwks: JSONWebKeySet): Promise<Checked<SoldOutClaims>> {
  const v = await verifyJws(jws, jwks, 'terning-sold-out+jws');
  if ('problem' in v) return { ok: false, problem: `the sold-out statement's signature does not hold: ${v.problem}` };
  const c = v.claims as Partial<SoldOutClaims>;
  if (c?.v !== 1 || typeof c.event !== 'string' || !EVENT_ID.test(c.event) || !count(c.units) || !count(c.lastTicket) || !count(c.at)) {
    return { ok: false, problem: 'the statement is signed, but its claims are not a sold-out statement of version 1' };
  }
  return { ok: true, claims: c as SoldOutClaims, kid: v.kid };
}
