import type { Admin } from 'kafkajs';
import type { Metrics } from '../core/metrics.ts';
import type { OutboxRepo } from '../core/db/outbox-repo.ts';

/** Consumer lag per partition: the end of each partition less the group's committed offset. */
export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const lag = new Map<number, number>();
  for (const p of ends) {
    const c = Number(committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? -1);
    lag.set(p.partition, Number(p.high) - (c < 0 ? Number(p.low) : c));
  }
  return lag;
}

/**
 * Refreshes the gauges that are read from outside (lag, outbox) every few seconds; each may fail alone.
 * The returned stop waits for a refresh in flight: a Kafka admin call made after its client disconnected
 * would open a new connection and keep the process alive.
 */
export function refreshGauges(opts: { metrics: Metrics; admin: Admin; groupId: string; topic: string; outbox: OutboxRepo; everyMs?: number }): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const refresh = async () => {
    await consumerLag(opts.admin, opts.groupId, opts.topic)
      .then((lag) => { for (const [partition, n] of lag) opts.metrics.consumerLag.set({ partition: String(partition) }, n); })
      .catch(() => {});
    await opts.outbox.counts()
      .then((c) => { for (const [state, n] of Object.entries(c)) opts.metrics.outbox.set({ state }, n); })
      .catch(() => {});
  };
  const tick = () => {
    if (!stopped) running = running.then(refresh);
  };
  tick();
  const timer = setInterval(tick, opts.everyMs ?? 5_000);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
