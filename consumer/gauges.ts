import type { Admin } from 'kafkajs';
import type { Metrics } from '../core/platform/metrics.ts';
import type { OutboxRepo } from '../core/adapters/mysql/outbox-repo.ts';
import { groupProgress } from '../core/adapters/kafka/offsets.ts';

/**
 * Refreshes the gauges that are read from outside (lag, outbox) every few seconds; each may fail alone.
 * The returned stop waits for a refresh in flight: a Kafka admin call made after its client disconnected
 * would open a new connection and keep the process alive.
 */
export function refreshGauges(opts: {
  metrics: Metrics;
  admin: Admin;
  groupId: string;
  topic: string;
  outbox: OutboxRepo;
  everyMs?: number;
}): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const refresh = async () => {
    await groupProgress(opts.admin, opts.groupId, opts.topic)
      .then((progress) => {
        for (const p of progress) opts.metrics.consumerLag.set({ partition: String(p.partition) }, p.lag);
      })
      .catch(() => {});
    await opts.outbox
      .counts()
      .then((c) => {
        for (const [state, n] of Object.entries(c)) opts.metrics.outbox.set({ state }, n);
      })
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
