import type { Kafka, KafkaMessage, Message } from 'kafkajs';
import { randomUUID } from 'node:crypto';

export interface DeadLetter {
  id: string;
  error: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  failedAt: string;
  value: string;
}

/**
 * A failed application, kept whole with the reason it failed, so it can be listed and replayed: the
 * record's own bytes, or `value` (one application of a record that holds several).
 */
export function toDeadLetter(m: KafkaMessage, source: { topic: string; partition: number }, error: string, value?: Buffer): Message {
  return {
    key: m.key,
    value: value ?? m.value,
    headers: {
      'x-error': error.slice(0, 2000),
      'x-source-topic': source.topic,
      'x-source-partition': String(source.partition),
      'x-source-offset': m.offset,
      'x-failed-at': new Date().toISOString(),
    },
  };
}

const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString() ?? '';

/**
 * Reads the whole dead-letter topic, from the start to its end as it is now, with a reader group of its
 * own that is deleted afterwards; gives up after timeoutMs rather than hang on a broker that stalls.
 */
export async function listDeadLetters(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const wanted = ends.filter((p) => BigInt(p.high) > BigInt(p.low));
  if (wanted.length === 0) return [];
  const remaining = new Map(wanted.map((p) => [p.partition, BigInt(p.high)]));
  const out: DeadLetter[] = [];
  const groupId = `terning-dlq-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the dead-letter topic was not read to its end within ${timeoutMs} ms`)), timeoutMs);
      consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = remaining.get(partition);
          if (end === undefined || BigInt(message.offset) >= end) return;
          out.push({
            id: `${partition}:${message.offset}`,
            error: header(message, 'x-error'),
            sourceTopic: header(message, 'x-source-topic'),
            sourcePartition: Number(header(message, 'x-source-partition')),
            sourceOffset: header(message, 'x-source-offset'),
            failedAt: header(message, 'x-failed-at'),
            value: message.value?.toString('utf8') ?? '',
          });
          if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
          if (remaining.size === 0) resolve();
        },
      }).catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
    const cleanup = kafka.admin();
    await cleanup.connect().then(() => cleanup.deleteGroups([groupId])).catch(() => {}).finally(() => cleanup.disconnect());
  }
  return out.sort((a, b) => a.failedAt.localeCompare(b.failedAt));
}
