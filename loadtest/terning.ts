import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { loadConfig, type Config } from '../core/platform/config.ts';
import { createLogger } from '../core/platform/log.ts';
import { createKafka, ensureTopics } from '../core/adapters/kafka/client.ts';
import { Proc, freePort, httpReady, waitFor } from './processes.ts';
import { buildCompiled } from '../scripts/build.ts';

export interface TerningOptions {
  apis: number;
  consumers: number;
  partitions: number;
  mysqlUrl: string;
  cpuProfileDir?: string;
  apiFlags?: string[];
  /** Run the TypeScript through tsx instead of the build in dist/ that the image runs. */
  source?: boolean;
  /** Also `terning stock-stream`, the stock stream process. */
  stockStream?: boolean;
}

export interface Terning {
  config: Config;
  urls: string[];
  apis: Proc[];
  consumers: Proc[];
  stockStream?: { proc: Proc; url: string };
  /** Stops the consumers (they leave the group cleanly); startConsumers() brings new ones. */
  stopConsumers(): Promise<void>;
  startConsumers(): Promise<void>;
  stop(): Promise<void>;
}

const quiet = createLogger('bench', 'silent');

/** Applies the migrations to the bench database through `terning migrate`, as an operator would. */
export function migrate(mysqlUrl: string) {
  const r = spawnSync(process.execPath, ['bin/terning.js', 'migrate'], {
    cwd: new URL('../', import.meta.url),
    env: { ...process.env, MYSQL_URL: mysqlUrl },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`terning migrate failed:\n${r.stdout}${r.stderr}`);
}

/**
 * terning as separate processes, as it runs in production: `terning server` x apis and `terning
 * consumer` x consumers, on topics, a consumer group and a Redis prefix of their own, created up front.
 */
export async function startTerning(o: TerningOptions): Promise<Terning> {
  const id = randomUUID().slice(0, 8);
  // As in production: compiled (npm run build), built afresh so that it is the code of this checkout.
  if (!o.source) await buildCompiled();
  const env: Record<string, string> = {
    TERNING_COMPILED: o.source ? '0' : '1',
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    MYSQL_URL: o.mysqlUrl,
    KAFKA_TOPIC: `bench.applications.${id}`,
    KAFKA_DLQ_TOPIC: `bench.dlq.${id}`,
    KAFKA_GROUP_ID: `bench-persisters-${id}`,
    KAFKA_PARTITIONS: String(o.partitions),
    REDIS_PREFIX: `bench-${id}`,
    // The generator is one address that stands for a whole crowd (as a proxy in front would be), and
    // sends none of the attacks the API's connection and queue caps bound.
    HTTP_MAX_CONNECTIONS: '20000',
    HTTP_MAX_CONNECTIONS_PER_NETWORK: '0',
    HTTP_QUEUE_LIMIT: '20000',
  };
  const config = loadConfig({ ...process.env, ...env });
  const kafka = createKafka({ ...config.kafka, log: quiet });
  await ensureTopics(kafka, [
    { topic: config.kafka.applicationsTopic, numPartitions: o.partitions },
    { topic: config.kafka.deadLetterTopic },
  ]);
  const profile = (name: string) =>
    o.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];

  const ports = await Promise.all(Array.from({ length: o.apis }, () => freePort()));
  const apis = ports.map(
    (port, i) =>
      new Proc(`api-${i + 1}`, ['bin/terning.js', 'server'], { ...env, PORT: String(port) }, [
        ...(o.apiFlags ?? []),
        ...profile(`api-${i + 1}`),
      ]),
  );
  let generation = 0;
  // Each consumer serves /metrics on a port of its own.
  const spawnConsumers = async () => {
    generation++;
    const metricsPorts = await Promise.all(Array.from({ length: o.consumers }, () => freePort()));
    return metricsPorts.map((metricsPort, i) => {
      const name = `consumer-${i + 1}${generation > 1 ? `-${generation}` : ''}`;
      return new Proc(name, ['bin/terning.js', 'consumer', '--no-emails'], { ...env, METRICS_PORT: String(metricsPort) }, profile(name));
    });
  };
  const consumers = await spawnConsumers();
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const streamPort = o.stockStream ? await freePort() : 0;
  const stockStream = o.stockStream
    ? {
        proc: new Proc(
          'stock-stream',
          ['bin/terning.js', 'stock-stream'],
          { ...env, STOCK_STREAM_PORT: String(streamPort) },
          profile('stock-stream'),
        ),
        url: `http://127.0.0.1:${streamPort}`,
      }
    : undefined;
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= stopAll());
  const stopAll = async () => {
    await Promise.all([...apis, ...consumers, ...(stockStream ? [stockStream.proc] : [])].map((p) => p.stop()));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [config.kafka.applicationsTopic, config.kafka.deadLetterTopic] }).catch(() => {});
    await admin.deleteGroups([config.kafka.groupId]).catch(() => {});
    await admin.disconnect();
  };
  const groupJoined = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        'the consumer group',
        async () => {
          const { groups } = await admin.describeGroups([config.kafka.groupId]);
          return groups[0]?.state === 'Stable' && groups[0].members.length === o.consumers;
        },
        consumers[0],
        60_000,
      );
    } finally {
      await admin.disconnect();
    }
  };
  try {
    await Promise.all(apis.map((p, i) => waitFor(p.name, httpReady(`${urls[i]}/readyz`), p)));
    if (stockStream) await waitFor('stock-stream', httpReady(`${stockStream.url}/healthz`), stockStream.proc);
    await groupJoined();
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    config,
    urls,
    apis,
    consumers,
    stockStream,
    stop,
    async stopConsumers() {
      await Promise.all(consumers.map((c) => c.stop()));
    },
    async startConsumers() {
      consumers.splice(0, consumers.length, ...(await spawnConsumers()));
      await groupJoined();
    },
  };
}

/** A fresh event through the admin API: created with its stock, then opened. */
export async function openEvent(t: Terning, stock: number): Promise<string> {
  const id = `bench-${randomUUID().slice(0, 12)}`;
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${t.urls[0]}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-ADMIN-KEY': t.config.adminKey },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  };
  await call('/api/admin/events', { id, name: `bench ${id}`, totalStock: stock });
  await call(`/api/admin/events/${id}/open`, {});
  return id;
}
