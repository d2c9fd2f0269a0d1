import type { Admin } from 'kafkajs';
import { groupProgress } from '../core/adapters/kafka/offsets.ts';
import type { Logger } from '../core/platform/log.ts';

export interface StallWatchOptions {
  admin: Admin;
  groupId: string;
  topic: string;
  /** The partitions the group gave this consumer at its last join; undefined while it is not in the group. */
  assigned(): number[] | undefined;
  /** Whether a batch is being worked on (waiting out an outage included): then nothing is stalled. */
  busy(): boolean;
  /** When this consumer last did something with a batch, or joined. */
  lastProgressAt(): number;
  /** Lag on its partitions and no batch for this long is a stall. */
  stallMs: number;
  onStall(detail: string): void;
  log: Logger;
  everyMs?: number;
}

/**
 * kafkajs's consumer can stop fetching a partition without a word: no error, no crash, no rebalance,
 * its records waiting (kafkajs#659, #1732). The random fault suite met it after a partition leader was
 * killed: seven winners told 202 sat unconsumed for two minutes while both consumers ran. This watch
 * reads the group's committed offsets against the partitions' ends every few seconds; when a partition
 * given to this consumer has records past its commit, and the consumer has had no batch for `stallMs`
 * and is in none, it is stalled, and `onStall` opens it again. The returned stop waits for a reading in
 * flight.
 */
export function watchForStalls(o: StallWatchOptions): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const check = async () => {
    const mine = o.assigned();
    if (!mine?.length || o.busy() || Date.now() - o.lastProgressAt() < o.stallMs) return;
    const progress = await groupProgress(o.admin, o.groupId, o.topic).catch(() => undefined);
    if (stopped || !progress || o.busy() || Date.now() - o.lastProgressAt() < o.stallMs) return;
    const waiting = progress.filter((p) => mine.includes(p.partition) && p.lag > 0);
    if (waiting.length === 0) return;
    const detail = waiting.map((p) => `partition ${p.partition}: ${p.lag} records past offset ${p.committed}`).join('; ');
    o.log.error({ waiting, idleMs: Date.now() - o.lastProgressAt() }, 'the consumer has records waiting and fetches none: stalled');
    o.onStall(`no batch for ${Math.round((Date.now() - o.lastProgressAt()) / 1000)} s with ${detail}`);
  };
  const timer = setInterval(
    () => {
      if (!stopped) running = running.then(check);
    },
    o.everyMs ?? Math.min(5_000, o.stallMs / 3),
  );
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
