import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { decodeApplications, type ApplicationMessage } from '../core/kafka/codec.ts';

export interface EventRecord { partition: number; offset: string; value: Buffer; applications: ApplicationMessage[] }

/**
 * Every record of one event in the topic, from its start to its end as it is now (a group of its own,
 * nothing committed). A record holds applications of one or many events: only this event's are kept;
 * records that can't be read (injected poison) are skipped.
 */
export async function readEvent(kafka: Kafka, topic: string, eventId: string, timeoutMs = 60_000): Promise<EventRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  const out: EventRecord[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `terning-faults-read-${randomUUID()}` });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`reading ${topic} took over ${timeoutMs} ms`)), timeoutMs);
      consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = remaining.get(partition);
          if (end === undefined || BigInt(message.offset) >= end) return;
          try {
            const mine = message.value ? decodeApplications(message.value).filter((a) => a.eventId === eventId) : [];
            if (mine.length) out.push({ partition, offset: message.offset, value: message.value!, applications: mine });
          } catch { /* poison */ }
          if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
          if (remaining.size === 0) resolve();
        },
      }).catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return out;
}
