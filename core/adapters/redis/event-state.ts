import type { Redis } from 'ioredis';
import { eventKeys } from './keys.ts';
import type { ReservedUnit } from '../../domain/decision.ts';
import { decisionOf, reservationOf, revokedOf, type ReservationValue, type WinnerValue } from './event-values.ts';

export interface RedisEventState {
  /** null: the key is missing (Redis lost its data, a restore runs, or the event was never loaded). */
  remaining: number | null;
  ticketSeq: number;
  /** Every winner, confirmed or not (null: a value that can't be read). */
  decisions: Map<string, WinnerValue | null>;
  /** Winners Kafka has not confirmed yet (null: a value that can't be read). */
  reserved: Map<string, ReservationValue | null>;
  /** The restoring marker, when a restore runs. */
  restoring: string | null;
}

async function readHash<T>(redis: Redis, key: string, parse: (value: string) => T): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for await (const chunk of redis.hscanStream(key, { count: 1_000 }) as AsyncIterable<string[]>) {
    for (let i = 0; i < chunk.length; i += 2) out.set(chunk[i]!, parse(chunk[i + 1]!));
  }
  return out;
}

/** Large lists are asked about in pieces: an event may have hundreds of thousands of winners. */
const PIECE = 5_000;

/** What the sweeper and `terning reconcile` read of events in Redis, outside the Lua scripts. */
export class RedisState {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** An event's live state. Not one snapshot: the hashes are scanned while the gate goes on. */
  async read(eventId: string): Promise<RedisEventState> {
    const { redis } = this;
    const k = eventKeys(this.prefix, eventId);
    const [remaining, seq, restoring] = await Promise.all([redis.get(k.remaining), redis.get(k.ticketSeq), redis.get(k.restoring)]);
    const [decisions, reserved] = await Promise.all([readHash(redis, k.decisions, decisionOf), readHash(redis, k.reserved, reservationOf)]);
    return { remaining: remaining === null ? null : Number(remaining), ticketSeq: Number(seq ?? 0), decisions, reserved, restoring };
  }

  /** The event's unconfirmed reservations, a page at a time. */
  async *reservations(eventId: string): AsyncGenerator<ReservedUnit[]> {
    const key = eventKeys(this.prefix, eventId).reserved;
    for await (const chunk of this.redis.hscanStream(key, { count: 1_000 }) as AsyncIterable<string[]>) {
      const page: ReservedUnit[] = [];
      for (let i = 0; i < chunk.length; i += 2) {
        const r = reservationOf(chunk[i + 1]!);
        if (r) page.push({ person: chunk[i]!, ...r });
      }
      yield page;
    }
  }

  /** The event's revoked units that wait to be given back (revoke.lua), a page at a time. */
  async *revoked(eventId: string): AsyncGenerator<ReservedUnit[]> {
    const key = eventKeys(this.prefix, eventId).revoked;
    for await (const chunk of this.redis.hscanStream(key, { count: 1_000 }) as AsyncIterable<string[]>) {
      const page: ReservedUnit[] = [];
      for (let i = 0; i < chunk.length; i += 2) {
        const r = revokedOf(chunk[i]!, chunk[i + 1]!);
        if (r) page.push(r);
      }
      yield page;
    }
  }

  /** Which of `persons` the event has no decision for now. */
  async undecided(eventId: string, persons: string[]): Promise<string[]> {
    const k = eventKeys(this.prefix, eventId);
    const out: string[] = [];
    for (let i = 0; i < persons.length; i += PIECE) {
      const piece = persons.slice(i, i + PIECE);
      const found = await this.redis.hmget(k.decisions, ...piece);
      out.push(...piece.filter((_, j) => found[j] === null));
    }
    return out;
  }
}
