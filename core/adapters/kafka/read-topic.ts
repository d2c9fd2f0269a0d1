import type { Kafka, KafkaMessage } from 'kafkajs';
import { randomUUID } from 'node:crypto';

/**
 * Reads a topic from its start to its end as it is when the call begins, handing every record to
 * `each`, with a reader group of its own that commits nothing and is deleted afterwards. Gives up after
 * `timeoutMs` rather than hang on a broker that stalls.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  each: (partition: number, message: KafkaMessage) => void,
  opts: { reader: string; timeoutMs: number },
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  if (remaining.size === 0) return;
  const groupId = `${opts.reader}-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${topic} was not read to its end within ${opts.timeoutMs} ms`)), opts.timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const end = remaining.get(partition);
            if (end === undefined || BigInt(message.offset) >= end) return;
            each(partition, message);
            if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
    const cleanup = kafka.admin();
    await cleanup
      .connect()
      .then(() => cleanup.deleteGroups([groupId]))
      .catch(() => {})
      .finally(() => cleanup.disconnect());
  }
}
