import { freePort } from '../infra/net.ts';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { servicesDown, servicesUp } from '../infra/index.ts';
import { managedPid } from '../infra/process.ts';
import { terningHome } from '../infra/paths.ts';
import { kafkaNodes, shareKafkaLibs } from '../infra/kafka.ts';
import { primaryNode, redisNodes } from '../infra/redis.ts';
import { RedisLinks } from './redis-links.ts';

export type FaultService = 'kafka' | 'redis' | 'mysql';
const ALL: FaultService[] = ['mysql', 'redis', 'kafka'];

/** What each process's command line holds (infra's pid files name them: kafka-2, redis-sentinel-1, ...). */
const marker = (name: string) =>
  name.startsWith('kafka')
    ? 'kafka.Kafka'
    : name.includes('sentinel')
      ? 'sentinel'
      : name.startsWith('redis')
        ? 'redis-server'
        : 'mariadbd';

/** n free ports, each with the `following` ports after it free too (a broker's controller, Redis's replicas), none overlapping. */
async function ports(n: number, following: number, taken: number[] = []): Promise<number[]> {
  const out: number[] = [];
  const span = (p: number) => Array.from({ length: following + 1 }, (_, i) => p + i);
  while (out.length < n) {
    const p = await freePort(following);
    const used = new Set([...taken, ...out].flatMap((q) => [q - 1, ...span(q), q + following + 1]));
    if (!span(p).some((q) => used.has(q))) out.push(p);
  }
  return out;
}

/**
 * The suite's own Kafka, Redis (append-only) and MariaDB, under a TERNING_HOME of their own on free
 * ports, started by infra: these, and only these, are killed, paused and restarted. The shared
 * services of the machine are never touched. Their addresses go into process.env, where infra and
 * loadConfig() read them. As a cluster: three Kafka brokers, and Redis as a primary, a replica and
 * three Sentinels.
 */
export class FaultServices {
  private links: RedisLinks | undefined;

  private constructor(
    readonly home: string,
    readonly env: Record<string, string>,
    readonly cluster: boolean,
  ) {}

  static async up(log: (line: string) => void, opts: { cluster?: boolean } = {}): Promise<FaultServices> {
    const home = mkdtempSync(join(tmpdir(), 'terning-faults-'));
    // The Kafka jars fetched once for the shared broker are reused rather than fetched again.
    shareKafkaLibs(terningHome(), home);
    const brokers = await ports(opts.cluster ? 3 : 1, 1);
    // A primary and two replicas on consecutive ports; in a cluster they listen at the second span.
    const [redisPort, redisListen] = await ports(2, opts.cluster ? 2 : 0, brokers);
    const env: Record<string, string> = {
      TERNING_HOME: home,
      KAFKA_BROKERS: brokers.map((p) => `127.0.0.1:${p}`).join(','),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      MYSQL_URL: `mysql://root@127.0.0.1:${await freePort()}/terning_faults`,
      ...(opts.cluster
        ? {
            REDIS_SENTINELS: (await ports(3, 0, [...brokers, redisPort!, redisPort! + 2, redisListen!, redisListen! + 2]))
              .map((p) => `127.0.0.1:${p}`)
              .join(','),
            // The nodes behind proxies of the suite's (faults/redis-links.ts), for the partition fault.
            TERNING_REDIS_LISTEN_SHIFT: String(redisListen! - redisPort!),
            REDIS_CONFIRM_REPLICAS: '1',
          }
        : {}),
    };
    Object.assign(process.env, env);
    const s = new FaultServices(home, env, opts.cluster ?? false);
    if (opts.cluster) s.links = await RedisLinks.start();
    // What came up is stopped again: nothing of the suite outlives it.
    await s.start(...ALL).catch(async (e: unknown) => {
      await s.down();
      throw e;
    });
    log(
      `services: ${env.KAFKA_BROKERS} (kafka), ${env.REDIS_URL}${opts.cluster ? ` (sentinels ${env.REDIS_SENTINELS})` : ''}, ${env.MYSQL_URL}, home ${home}`,
    );
    return s;
  }

  /** Starts what is not running: a node killed is started again (a Redis node as a replica of the primary). */
  async start(...names: FaultService[]): Promise<void> {
    await servicesUp({ only: names });
  }

  /** A process by its pid file's name: a service (kafka, redis, mysql) or one node of it (kafka-2, redis-2). */
  pid(name: string): number | undefined {
    return managedPid(name, marker(name));
  }

  /** kill -9, and wait until the process is gone. */
  async kill(name: string): Promise<void> {
    const pid = this.pid(name);
    if (pid === undefined) throw new Error(`${name} is not running`);
    process.kill(pid, 'SIGKILL');
    while (this.pid(name) !== undefined) await sleep(50);
  }

  signal(name: string, signal: 'SIGSTOP' | 'SIGCONT'): void {
    const pid = this.pid(name);
    if (pid === undefined) throw new Error(`${name} is not running`);
    process.kill(pid, signal);
  }

  /** The broker leading a partition of the topic now (its pid file's name). */
  async leaderOf(kafka: Kafka, topic: string, partition = 0): Promise<string> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const leader = topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
      const node = kafkaNodes().find((n) => n.nodeId === leader);
      if (!node) throw new Error(`partition ${partition} of ${topic} has no leader now (${leader})`);
      return node.name;
    } finally {
      await admin.disconnect();
    }
  }

  /** The Redis node the Sentinels name primary now. */
  async redisPrimary(): Promise<string> {
    const name = await primaryNode();
    if (!name) throw new Error('no Sentinel names a primary');
    return name;
  }

  /** The proxies between the Redis nodes, and between them and the Sentinels (the cluster only). */
  redisLinks(): RedisLinks {
    if (!this.links) throw new Error('the Redis links can be cut on the cluster topology only (--cluster)');
    return this.links;
  }

  /** Redis's files (append-only log, snapshot) removed: the next start is empty. */
  wipeRedis(): void {
    const dir = join(this.home, 'redis');
    for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
  }

  async down(): Promise<void> {
    const processes = ['mysql', ...redisNodes().map((n) => n.name), ...kafkaNodes().map((n) => n.name)];
    for (const p of processes) if (this.pid(p) !== undefined) this.signal(p, 'SIGCONT');
    await servicesDown({ only: ALL }).catch(() => {});
    await this.links?.stop();
    rmSync(this.home, { recursive: true, force: true });
  }
}
