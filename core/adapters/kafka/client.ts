import { Kafka, Partitioners, logLevel, type Admin, type LogEntry, type ProducerConfig } from 'kafkajs';
import type { Logger } from '../../platform/log.ts';
import './quiet-warnings.ts';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(opts: { brokers: string[]; clientId: string; log: Logger; requestTimeout?: number }): Kafka {
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    connectionTimeout: 3_000,
    requestTimeout: opts.requestTimeout ?? 10_000,
    retry: { initialRetryTime: 200, retries: 5, maxRetryTime: 2_000 },
    // At LOG_LEVEL=debug, kafkajs's own info lines too (joins, assignments, fetches resumed).
    logLevel: opts.log.isLevelEnabled?.('debug') ? logLevel.INFO : logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, ...extra } = log;
        // The API bounds its producer's retries on purpose: it answers 503 rather than hang.
        if (message.startsWith('Limiting retries for the idempotent producer')) return;
        opts.log[LEVELS[level] ?? 'info']({ kafka: namespace, ...extra }, message);
      },
  });
}

/** Idempotent, acks=all, one request in flight: kafkajs's rule for an idempotent producer. */
export const producerConfig: ProducerConfig = {
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner,
};

/** How many partitions a topic has; undefined when the cluster can't say now. */
export async function partitionCount(kafka: Kafka, topic: string): Promise<number | undefined> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length || undefined;
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Replicas of every topic on a cluster of this many brokers, and how many must hold a write before the
 * producer (acks=all) is told it is written: three and two on three brokers or more, so that one broker
 * may be lost, or restarted, without losing or refusing a write.
 */
export const replicationFor = (brokers: number) => {
  const factor = Math.max(1, Math.min(3, brokers));
  return { factor, minInsync: Math.max(1, factor - 1) };
};

/** Topics are created up front, never by a first produce, replicated as the cluster allows (replicationFor). */
export async function ensureTopics(kafka: Kafka, topics: { topic: string; numPartitions?: number }[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length) {
      const { factor, minInsync } = replicationFor((await admin.describeCluster()).brokers.length);
      // kafkajs's own waitForLeaders asks a broker that may not know the new topic yet, and on a cluster
      // fails with UNKNOWN_TOPIC_OR_PARTITION (kafkajs#1222): the leaders are waited for here instead.
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions ?? 1,
          replicationFactor: factor,
          configEntries: [{ name: 'min.insync.replicas', value: String(minInsync) }],
        })),
      });
      await leadersElected(
        admin,
        missing.map((t) => t.topic),
      );
    }
  } finally {
    await admin.disconnect();
  }
}

async function leadersElected(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const metadata = await admin.fetchTopicMetadata({ topics }).catch(() => undefined);
    const named =
      metadata?.topics.length === topics.length &&
      metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
    // A leader named in one broker's metadata may not host its partition yet (a KRaft broker applies the
    // metadata log in its own time): asking each leader for its offsets shows that it does.
    if (
      named &&
      (await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic))).then(
        () => true,
        () => false,
      ))
    )
      return;
    if (Date.now() > until)
      throw new Error(`the topics ${topics.join(', ')} have no leader for every partition after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
