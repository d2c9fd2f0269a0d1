import { createSecretKey, type KeyObject } from 'node:crypto';
import type { JwsSigner } from '../../adapters/keys/jws.ts';
import { winnerClaims } from './entries.ts';

/** The moment an event sold out, as the gate left it: what the signed sold-out statement says. */
export interface SoldOutFacts {
  event: string;
  units: number;
  lastTicket: number;
  at: number;
}

/**
 * What terning signs for participants: a winner's receipt (the log entry of their decision and the
 * nonce that opens its commitment), and an event's sold-out statement, signed once per event and
 * process and carried by every SOLD_OUT answer after it.
 */
export class Receipts {
  /** The nonces' HMAC key, imported once: a Buffer is imported anew on every call. */
  private readonly nonceKey: KeyObject;

  constructor(
    private readonly signer: Pick<JwsSigner, 'sign'>,
    nonceSecret: Buffer,
  ) {
    this.nonceKey = createSecretKey(nonceSecret);
  }

  forWinner(event: string, ticket: number, at: number, person: string): Promise<string> {
    return this.signer.sign('terning-receipt+jws', winnerClaims(this.nonceKey, event, ticket, at, person));
  }

  soldOut(f: SoldOutFacts): Promise<string> {
    return this.signer.sign('terning-sold-out+jws', { v: 1, event: f.event, units: f.units, lastTicket: f.lastTicket, at: f.at });
  }
}
