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

/** Refreshes the gauges that are read from outside (lag, outbox) every few seconds; each may fail alone. */
export function refreshGauges(opts: { metrics: Metrics; admin: Admin; groupId: string; topic: string; outbox: OutboxRepo; everyMs?: number }): () => void {
  const tick = async () => {
    await consumerLag(opts.admin, opts.groupId, opts.topic)
      .then((lag) => { for (const [partition, n] of lag) opts.metrics.consumerLag.set({ partition: String(partition) }, n); })
      .catch(() => {});
    await opts.outbox.counts()
      .then((c) => { for (const [state, n] of Object.entries(c)) opts.metrics.outbox.set({ state }, n); })
      .catch(() => {});
  };
  void tick();
  const timer = setInterval(() => void tick(), opts.everyMs ?? 5_000);
  return () => clearInterval(timer);
}
