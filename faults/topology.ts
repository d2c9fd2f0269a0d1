import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../core/platform/config.ts';
import { createLogger } from '../core/platform/log.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { createKafka, ensureTopics } from '../core/adapters/kafka/client.ts';
import { migrate } from '../cli/commands/migrate.ts';
import { ROOT } from '../core/platform/root.ts';
import { freePort } from '../infra/net.ts';
import { FaultServices } from './services.ts';
import { TerningProcess } from './processes.ts';

/** As production runs: two API processes, two consumers in one group, four partitions. */
const APIS = 2;
const CONSUMERS = 2;
const PARTITIONS = 4;

export interface Topology {
  services: FaultServices;
  apis: TerningProcess[];
  consumers: TerningProcess[];
  urls: string[];
  /** What every terning process runs with (topics, group, prefix, the services' addresses). */
  env: Record<string, string>;
  config: Config;
  kafka: Kafka;
  stores: Stores;
  /** Where the processes' logs are kept. */
  logs: string;
  stop(): Promise<void>;
}

/**
 * The suites' own services (faults/services.ts) with real API and consumer processes (bin/terning.js)
 * on random topics, group and prefix; everything it started is stopped again when starting fails.
 */
export async function startTopology(o: {
  cluster?: boolean;
  log: (line: string) => void;
  extraEnv?: Record<string, string>;
}): Promise<Topology> {
  const services = await FaultServices.up(o.log, { cluster: o.cluster });
  const id = randomUUID().slice(0, 8);
  // The processes' logs outlive the services' home, for a look after a failed run.
  const logs = join(ROOT, 'artifacts', `faults-${id}`);
  mkdirSync(logs, { recursive: true });
  o.log(`process logs in ${logs}`);
  const env: Record<string, string> = {
    ...services.env,
    NODE_ENV: 'development',
    // 'api listening' and 'consumer running' are info lines; TERNING_FAULTS_LOG_LEVEL=debug for a closer look.
    LOG_LEVEL: process.env.TERNING_FAULTS_LOG_LEVEL ?? 'info',
    KAFKA_TOPIC: `faults.applications.${id}`,
    KAFKA_DLQ_TOPIC: `faults.dlq.${id}`,
    KAFKA_GROUP_ID: `faults-persisters-${id}`,
    REDIS_PREFIX: `faults-${id}`,
    DEFAULT_EVENT_ID: `faults-default-${id}`,
    // One person retries through every fault: the per-person limit is not what is tested here.
    LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS: '100000',
    LIMIT_STATUS_CHECKS_PER_PERSON_PER_MINUTE: '100000',
    // Winner emails go to the machine's SES emulator (it is only used, never stopped).
    SES_RATE_PER_SECOND: '50',
    // The consumer's metrics listener on a free port, beside anyone else's consumer.
    METRICS_PORT: '0',
    // Reservations Kafka never got (an API killed before its send) go back within seconds, so that the
    // suite sees them given back rather than waiting the production 30 s.
    RESERVATION_TIMEOUT_SECONDS: '5',
    // The crowd comes from one loopback address, as if through a proxy: no cap per client network.
    HTTP_MAX_CONNECTIONS_PER_NETWORK: '0',
    ...o.extraEnv,
  };
  const config = loadConfig({ ...process.env, ...env });
  const quiet = createLogger('faults', 'silent');
  const apis: TerningProcess[] = [];
  const consumers: TerningProcess[] = [];
  // Redis is killed on purpose: the suite's own reads retry, and its client's errors are expected.
  const stores = openStores(config, quiet);
  const kafka = createKafka({ ...config.kafka, clientId: 'terning-faults', log: quiet });
  const urls: string[] = [];
  const stop = async () => {
    await Promise.allSettled([...apis, ...consumers].map((p) => p.stop(5_000)));
    for (const p of [...apis, ...consumers]) p.close();
    await stores.close();
    keepRedisLogs(services.home, logs);
    await services.down();
  };
  try {
    await migrate('up', () => {});
    await ensureTopics(kafka, [
      { topic: config.kafka.applicationsTopic, numPartitions: PARTITIONS },
      { topic: config.kafka.deadLetterTopic },
    ]);
    for (let i = 0; i < APIS; i++) {
      const port = await freePort();
      const api = new TerningProcess('server', { ...env, PORT: String(port) }, join(logs, `api-${i}.log`));
      apis.push(api);
      urls.push(`http://127.0.0.1:${port}`);
      await api.start();
    }
    for (let i = 0; i < CONSUMERS; i++) {
      const consumer = new TerningProcess('consumer', env, join(logs, `consumer-${i}.log`));
      consumers.push(consumer);
      await consumer.start();
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { services, apis, consumers, urls, env, config, kafka, stores, logs, stop };
}

/**
 * The Redis servers' and Sentinels' own logs (role changes, syncs, +switch-master, +fix-slave-config)
 * kept beside the processes': which node took writes when is what a failed failover schedule turns on.
 */
function keepRedisLogs(home: string, logs: string): void {
  const dir = join(home, 'logs');
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f.startsWith('redis')) copyFileSync(join(dir, f), join(logs, f));
}
