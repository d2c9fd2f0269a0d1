import type { Redis } from 'ioredis';
import { eventKeys } from '../redis/keys.ts';

export interface RedisEventState {
  /** null: the key is missing (Redis lost its data, a restore runs, or the event was never loaded). */
  remaining: number | null;
  ticketSeq: number;
  /** person -> "W|ticket|decidedAtMs": every winner, confirmed or not */
  decisions: Map<string, string>;
  /** person -> "ticket|decidedAtMs": winners Kafka has not confirmed yet */
  reserved: Map<string, string>;
  /** The restoring marker, when a restore runs. */
  restoring: string | null;
}

async function readHash(redis: Redis, key: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const chunk of redis.hscanStream(key, { count: 1_000 }) as AsyncIterable<string[]>) {
    for (let i = 0; i < chunk.length; i += 2) out.set(chunk[i]!, chunk[i + 1]!);
  }
  return out;
}

/** An event's live state in Redis. Not one snapshot: the hashes are scanned while the gate goes on. */
export async function readRedisState(redis: Redis, prefix: string, eventId: string): Promise<RedisEventState> {
  const k = eventKeys(prefix, eventId);
  const [remaining, seq, restoring] = await Promise.all([redis.get(k.remaining), redis.get(k.ticketSeq), redis.get(k.restoring)]);
  const [decisions, reserved] = await Promise.all([readHash(redis, k.decisions), readHash(redis, k.reserved)]);
  return { remaining: remaining === null ? null : Number(remaining), ticketSeq: Number(seq ?? 0), decisions, reserved, restoring };
}
