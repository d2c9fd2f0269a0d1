/**
 * The words of a decision, shared by every layer; this folder imports nothing.
 *
 * A decided application: the gate gave `person` (core/use-cases/participant/identity.ts) the unit with
 * this ticket, their place in the order, at `decidedAt`; `email` is the address they typed, where their
 * mail goes. Kafka carries it (core/adapters/kafka/codec.ts, as version 2), MySQL stores it. It is
 * the one decision type: a winner, a recorded winner and a reserved unit below are views of it.
 */
export interface Decision {
  eventId: string;
  person: string;
  email: string;
  ticket: number;
  decidedAt: number;
  requestId?: string;
  /**
   * The generation of the Redis state that made it (0 before any restore; each restore's state takes
   * the next): a restore keeps a decision below its offsets only if the state it replaces made it.
   * Absent on decisions written before generations were kept.
   */
  gen?: number;
}

/** A winner, as a restore puts it back into Redis and as the result streams hear of it: who, which place, when. */
export type Winner = Pick<Decision, 'person' | 'ticket' | 'decidedAt'>;

/**
 * A winner as MySQL keeps them, for the winners' export: where their mail went too, and when their
 * application was written (null for a winner MySQL refused, kept from its dead letter).
 */
export type RecordedWinner = Winner & Pick<Decision, 'email'> & { appliedAt: number | null };

/**
 * A unit the gate reserved for `person`, not yet confirmed (Kafka has not acknowledged it), or revoked
 * and waiting to be given back. `reservedAt` is the decision's `decidedAt`, under the name the reserved
 * and revoked hashes, the sweeper and `terning reconcile --json` give it.
 */
export type ReservedUnit = Pick<Decision, 'person' | 'ticket'> & { reservedAt: Decision['decidedAt'] };

/** Tells the servers' result streams about one event's persisted winners (core/adapters/redis/decision-feed.ts). */
export type Announce = (eventId: string, winners: Winner[]) => Promise<void>;

/**
 * What a person is told of their application, by an apply (202, or 200 for a repeat) and by their
 * status: WON once Kafka holds the decision, with the signed receipt of it; PENDING only while a
 * winner's hand-off to Kafka is unconfirmed. The page reads it as it is (server/page/src/api.ts).
 */
export interface Standing {
  status: 'WON' | 'PENDING';
  ticket: number;
  decidedAt: string;
  receipt?: string;
}
