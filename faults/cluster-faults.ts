import { setTimeout as sleep } from 'node:timers/promises';
import { apiKilled, consumerCrashLoop, type Fault, type Harness } from './faults.ts';

/** Arrivals keep coming through a fault that lasts (a failover, a freeze), so that its refusals and stalls show. */
const SPREAD_MS = 20_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Until the Sentinels name another primary than `was`; how long that took, or undefined when none did in a minute. */
async function promoted(h: Harness, was: string, since: number): Promise<number | undefined> {
  while (Date.now() - since < 60_000) {
    if ((await h.services.redisPrimary().catch(() => was)) !== was) return Date.now() - since;
    await sleep(100);
  }
  return undefined;
}

/**
 * The faults of the production topology (`npm run test:faults -- --cluster`): of three Kafka brokers
 * and of Redis's primary, replica and three Sentinels, one process is killed or frozen while people
 * apply. The cluster must not wait for it: persistence is timed from the kill or the freeze, not from
 * the process's return. The process comes back before the next round, so each round meets the whole
 * topology; the consumer crash loop and the API kill of the single-node suite run on it too.
 */
export const CLUSTER_FAULTS: Fault[] = [
  {
    name: 'kafka: partition leader\'s broker kill -9, back after 10 s',
    spreadMs: SPREAD_MS,
    async inject(h) {
      const broker = await h.services.leaderOf(h.kafka, h.config.kafka.applicationsTopic);
      await h.services.kill(broker);
      const at = Date.now();
      await sleep(10_000);
      await h.services.start('kafka');
      return { injected: 1, endedAt: at, detail: `${broker} killed, registered again ${seconds(Date.now() - at)} after` };
    },
  },
  {
    name: 'kafka: partition leader\'s broker paused (SIGSTOP) 15 s',
    spreadMs: SPREAD_MS,
    async inject(h) {
      const broker = await h.services.leaderOf(h.kafka, h.config.kafka.applicationsTopic);
      h.services.signal(broker, 'SIGSTOP');
      const at = Date.now();
      await sleep(15_000);
      h.services.signal(broker, 'SIGCONT');
      return { injected: 1, endedAt: at, detail: `${broker} paused` };
    },
  },
  {
    name: 'redis: primary kill -9 (Sentinel promotes the replica)',
    spreadMs: SPREAD_MS,
    async inject(h) {
      const primary = await h.services.redisPrimary();
      await h.services.kill(primary);
      const at = Date.now();
      const took = await promoted(h, primary, at);
      if (took === undefined) throw new Error(`no replica promoted within 60 s of killing ${primary}`);
      // Back as a replica of the new primary, in sync, before the next round.
      await h.services.start('redis');
      return { injected: 1, endedAt: at, detail: `${primary} killed, replica promoted after ${seconds(took)}` };
    },
  },
  {
    // Longer than the Sentinels' down-after (3 s): they fail over while it is frozen, and it comes back a
    // primary no one may write to any more, until they make it a replica.
    name: 'redis: primary paused (SIGSTOP) 10 s',
    spreadMs: SPREAD_MS,
    async inject(h) {
      const primary = await h.services.redisPrimary();
      h.services.signal(primary, 'SIGSTOP');
      const at = Date.now();
      const took = await Promise.race([promoted(h, primary, at), sleep(10_000).then(() => undefined)]);
      await sleep(Math.max(0, at + 10_000 - Date.now()));
      h.services.signal(primary, 'SIGCONT');
      await h.services.start('redis');
      return { injected: 1, endedAt: at, detail: took === undefined ? `${primary} paused, no failover` : `${primary} paused, replica promoted after ${seconds(took)}` };
    },
  },
  consumerCrashLoop,
  apiKilled,
];
