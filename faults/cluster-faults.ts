import { setTimeout as sleep } from 'node:timers/promises';
import { apiKilled, consumerCrashLoop, type Fault } from './faults.ts';
import type { FaultServices } from './services.ts';

/** Arrivals keep coming through a fault that lasts (a failover, a freeze), so that its refusals and stalls show. */
const SPREAD_MS = 20_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Until the Sentinels name another primary than `was`; how long that took, or undefined when none did in a minute. */
async function promoted(services: FaultServices, was: string, since: number): Promise<number | undefined> {
  while (Date.now() - since < 60_000) {
    if ((await services.redisPrimary().catch(() => was)) !== was) return Date.now() - since;
    await sleep(100);
  }
  return undefined;
}

/** What partitionRedisPrimary did: the node cut off, when, how many open links it cut, and when the Sentinels promoted another. */
export interface RedisPartition {
  node: string;
  at: number;
  linksCut: number;
  promotedAfterMs: number | undefined;
}

/**
 * A network partition: the Redis primary cut off from the Sentinels and its replicas for `ms` while
 * terning's processes still reach it (faults/redis-links.ts black-holes the links between the Redis
 * processes at the primary's address), then healed. The Sentinels promote a replica meanwhile; the cut
 * off primary, which its replicas no longer acknowledge, refuses writes after min-replicas-max-lag, and
 * no win confirmed there is announced (REDIS_CONFIRM_REPLICAS). After the heal the Sentinels make it a
 * replica of the new primary. Throws when no link was cut: a fault that did not happen.
 */
export async function partitionRedisPrimary(services: FaultServices, ms: number): Promise<RedisPartition> {
  const node = await services.redisPrimary();
  const links = services.redisLinks();
  const linksCut = links.cut(node);
  const at = Date.now();
  try {
    if (linksCut === 0) throw new Error(`no Sentinel or replica had a link to ${node}: nothing was cut`);
    const promotedAfterMs = await Promise.race([promoted(services, node, at), sleep(ms).then(() => undefined)]);
    await sleep(Math.max(0, at + ms - Date.now()));
    return { node, at, linksCut, promotedAfterMs };
  } finally {
    links.heal(node);
  }
}

/**
 * The faults of the production topology (`npm run test:faults -- --cluster`): of three Kafka brokers
 * and of Redis's primary, two replicas and three Sentinels, one process is killed or frozen, or the
 * primary cut off, while people apply. The cluster must not wait for it: persistence is timed from the kill or the freeze, not from
 * the process's return. The process comes back before the next round, so each round meets the whole
 * topology; the consumer crash loop and the API kill of the single-node suite run on it too.
 */
export const CLUSTER_FAULTS: Fault[] = [
  {
    name: "kafka: partition leader's broker kill -9, back after 10 s",
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
    name: "kafka: partition leader's broker paused (SIGSTOP) 15 s",
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
      const took = await promoted(h.services, primary, at);
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
      const took = await Promise.race([promoted(h.services, primary, at), sleep(10_000).then(() => undefined)]);
      await sleep(Math.max(0, at + 10_000 - Date.now()));
      h.services.signal(primary, 'SIGCONT');
      await h.services.start('redis');
      return {
        injected: 1,
        endedAt: at,
        detail: took === undefined ? `${primary} paused, no failover` : `${primary} paused, replica promoted after ${seconds(took)}`,
      };
    },
  },
  {
    // Longer than the Sentinels' down-after (3 s) and min-replicas-max-lag (2 s): the replica is
    // promoted while terning still writes to the old primary, until it follows +switch-master.
    name: 'redis: primary cut off from the Sentinels and replicas 10 s (terning still reaches it)',
    spreadMs: SPREAD_MS,
    async inject(h) {
      const p = await partitionRedisPrimary(h.services, 10_000);
      if (p.promotedAfterMs === undefined) throw new Error(`no replica promoted within 10 s of cutting ${p.node} off`);
      // Made a replica of the new primary by the Sentinels, in sync, before the next round.
      await h.services.start('redis');
      return {
        injected: 1,
        endedAt: p.at,
        detail: `${p.node} cut off (${p.linksCut} links), replica promoted after ${seconds(p.promotedAfterMs)}`,
      };
    },
  },
  consumerCrashLoop,
  apiKilled,
];
