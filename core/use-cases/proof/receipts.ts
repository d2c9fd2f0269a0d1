import type { JwsSigner } from '../../adapters/keys/jws.ts';
import { winnerClaims } from './entries.ts';

/** The moment an event sold out, as the gate left it: what the signed sold-out statement says. */
export interface SoldOutFacts { event: string; units: number; lastTicket: number; at: number }

/**
 * What terning signs for participants: a winner's receipt (the log entry of their decision and the
 * nonce that opens its commitment), and an event's sold-out statement, signed once per event and
 * process and carried by every SOLD_OUT answer after it.
 */
export class Receipts {
  constructor(private readonly signer: Pick<JwsSigner, 'sign'>, private readonly nonceSecret: Buffer) {}

  forWinner(event: string, ticket: number, at: number, person: string): Promise<string> {
    return this.signer.sign('terning-receipt+jws', winnerClaims(this.nonceSecret, event, ticket, at, person));
  }

  soldOut(f: SoldOutFacts): Promise<string> {
    return this.signer.sign('terning-sold-out+jws', { v: 1, event: f.event, units: f.units, lastTicket: f.lastTicket, at: f.at });
  }
}
