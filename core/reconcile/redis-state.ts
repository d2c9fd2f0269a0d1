import type { Redis } from 'ioredis';
import { eventKeys } from '../redis/keys.ts';

export interface RedisEventState {
  /** null: the key is missing (Redis lost its data, or the event was never loaded). */
  remaining: number | null;
  total: number | null;
  ticketSeq: number;
  /** email -> "W|ticket|decidedAtMs" */
  decisions: Map<string, string>;
  /** email -> "ticket|appliedAtMs" */
  applicants: Map<string, string>;
}

async function readHash(redis: Redis, key: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const chunk of redis.hscanStream(key, { count: 1_000 }) as AsyncIterable<string[]>) {
    for (let i = 0; i < chunk.length; i += 2) out.set(chunk[i]!, chunk[i + 1]!);
  }
  return out;
}

/** An event's live state in Redis. Not one snapshot: the hashes are scanned while deciding goes on. */
export async function readRedisState(redis: Redis, prefix: string, eventId: string): Promise<RedisEventState> {
  const k = eventKeys(prefix, eventId);
  const [remaining, total, seq] = await Promise.all([redis.get(k.remaining), redis.hget(k.meta, 'total'), redis.get(k.ticketSeq)]);
  const [decisions, applicants] = await Promise.all([readHash(redis, k.decisions), readHash(redis, k.applicants)]);
  return {
    remaining: remaining === null ? null : Number(remaining),
    total: total === null ? null : Number(total),
    ticketSeq: Number(seq ?? 0),
    decisions,
    applicants,
  };
}
