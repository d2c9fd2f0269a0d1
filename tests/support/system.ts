import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../core/platform/config.ts';
import { createLogger, type Logger } from '../../core/platform/log.ts';
import { createKafka, ensureTopics } from '../../core/adapters/kafka/client.ts';
import { Tokens } from '../../core/use-cases/sign-in/tokens.ts';
import { ApiServer } from '../../server/process.ts';
import { ConsumerProcess, type ConsumerOptions } from '../../consumer/process.ts';

export const rand = () => randomUUID().slice(0, 8);
export const randomEmail = (tag = 'p') => `${tag}-${randomUUID().slice(0, 12)}@example.test`;
export const randomEventId = () => `ev-${randomUUID().slice(0, 12)}`;

/** A configuration of its own for one test file: random topics, group and Redis prefix, port 0. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const id = rand();
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    METRICS_PORT: '0',
    KAFKA_TOPIC: `test.applications.${id}`,
    KAFKA_DLQ_TOPIC: `test.dlq.${id}`,
    KAFKA_GROUP_ID: `test-persisters-${id}`,
    REDIS_PREFIX: `test-${id}`,
    CODE_RESEND_SECONDS: '0',
    // A test's server stops at once; tests/rolling-deploy.test.ts drains with a delay.
    SHUTDOWN_DELAY_MS: '0',
    DEFAULT_EVENT_ID: `default-${id}`,
    ...overrides,
  });
}

export const testLog = () => createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

export async function createTopics(config: Config, partitions = 1) {
  await ensureTopics(createKafka({ ...config.kafka, log: testLog() }), [
    { topic: config.kafka.applicationsTopic, numPartitions: partitions },
    { topic: config.kafka.deadLetterTopic },
  ]);
}

export interface System {
  config: Config;
  url: string;
  adminUrl: string;
  api: ApiServer;
  consumer?: ConsumerProcess;
  tokens: Tokens;
  stop(): Promise<void>;
}

/** The real server and (unless told otherwise) the real consumer, on real Kafka, Redis and MySQL. */
export async function startSystem(
  opts: { consumer?: boolean | ConsumerOptions; env?: Record<string, string>; log?: Logger } = {},
): Promise<System> {
  const config = testConfig(opts.env);
  await createTopics(config);
  const api = new ApiServer(config, opts.log ?? testLog());
  const { url, adminUrl } = await api.start();
  let consumer: ConsumerProcess | undefined;
  if (opts.consumer !== false) {
    consumer = new ConsumerProcess(config, { retryBaseMs: 100, ...(typeof opts.consumer === 'object' ? opts.consumer : {}) }, testLog());
    await consumer.start().catch(async (err) => {
      await api.stop();
      throw err;
    });
  }
  const sys: System = {
    config,
    url,
    adminUrl,
    api,
    consumer,
    tokens: new Tokens(config.jwt),
    async stop() {
      await sys.consumer?.stop();
      await api.stop();
    },
  };
  return sys;
}

/** A fresh event through the admin API, with its stock set and, unless told otherwise, open. */
export async function newEvent(sys: System, stock: number, open = true): Promise<string> {
  const { http } = await import('./http.ts');
  const id = randomEventId();
  const admin = { adminKey: sys.config.adminKey };
  const created = await http(sys.url, 'POST', '/api/admin/events', { ...admin, body: { id, name: `test ${id}`, totalStock: stock } });
  if (created.status !== 201) throw new Error(`could not create event: ${JSON.stringify(created.body)}`);
  if (open) {
    const opened = await http(sys.url, 'POST', `/api/admin/events/${id}/open`, admin);
    if (opened.status !== 200) throw new Error(`could not open event: ${JSON.stringify(opened.body)}`);
  }
  return id;
}
