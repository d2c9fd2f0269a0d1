import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { producerConfig } from '../core/kafka/client.ts';
import { encodeApplication, encodeApplications, decodeApplications } from '../core/kafka/codec.ts';

/** The values of every message of one event in the topic, from the start to its end as it is now. */
async function readEvent(kafka: Kafka, topic: string, eventId: string): Promise<Buffer[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  const out: Buffer[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `terning-faults-replay-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = remaining.get(partition);
          if (end === undefined || BigInt(message.offset) >= end) return;
          try {
            const mine = message.value ? decodeApplications(message.value).filter((a) => a.eventId === eventId) : [];
            if (mine.length) out.push(encodeApplications(mine));
          } catch { /* poison from another round */ }
          if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
          if (remaining.size === 0) resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/**
 * Delivers every application of the event seen so far two or three times in all (copies produced
 * again), plus two poison messages that must end in the dead-letter topic: one that is not JSON and
 * one application for an event that does not exist. Returns the copies and the poison sent.
 */
export async function replay(kafka: Kafka, topic: string, eventId: string): Promise<{ copies: number; poison: number }> {
  const values = await readEvent(kafka, topic, eventId);
  const copies = values.flatMap((v, i) => (i % 2 === 0 ? [v] : [v, v]));
  const poison = [
    Buffer.from(`not json ${randomUUID()}`),
    encodeApplication({ v: 1, eventId: `no-such-event-${randomUUID().slice(0, 8)}`, email: `ghost-${randomUUID().slice(0, 8)}@example.test`, ticket: 1, appliedAt: Date.now() }),
  ];
  const producer = kafka.producer(producerConfig);
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [...copies, ...poison].map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
  return { copies: copies.length, poison: poison.length };
}
