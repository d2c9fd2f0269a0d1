/**
 * The words of a decision, shared by every layer; this folder imports nothing.
 *
 * A decided application: the gate gave `person` (core/use-cases/participant/identity.ts) the unit with
 * this ticket, their place in the order, at `decidedAt`; `email` is the address they typed, where their
 * mail goes. Kafka carries it (core/adapters/kafka/codec.ts, as version 2), MySQL stores it.
 */
export interface Decision {
  eventId: string;
  person: string;
  email: string;
  ticket: number;
  decidedAt: number;
  requestId?: string;
}

/** A winner as a restore puts it back into Redis, and as the result streams hear of it. */
export interface Winner {
  person: string;
  ticket: number;
  decidedAt: number;
}

/**
 * A winner as MySQL keeps them, for the winners' export: where their mail went too, and when their
 * application was written (null for a winner MySQL refused, kept from its dead letter).
 */
export interface RecordedWinner extends Winner {
  email: string;
  appliedAt: number | null;
}

/**
 * A unit the gate reserved for `person` at `reservedAt` (the moment of its decision), not yet confirmed
 * (Kafka has not acknowledged it), or revoked and waiting to be given back.
 */
export interface ReservedUnit {
  person: string;
  ticket: number;
  reservedAt: number;
}

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
