import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { producerConfig } from '../core/adapters/kafka/client.ts';
import { encodeApplication, encodeApplications } from '../core/adapters/kafka/codec.ts';
import { readEvent } from './topic.ts';

/**
 * Delivers every application of the event seen so far two or three times in all (copies produced
 * again), plus two poison messages that must end in the dead-letter topic: one that is not JSON and
 * one application for an event that does not exist. Returns the copies and the poison sent.
 */
export async function replay(kafka: Kafka, topic: string, eventId: string): Promise<{ copies: number; poison: number }> {
  const values = (await readEvent(kafka, topic, eventId)).map((r) => encodeApplications(r.applications));
  const copies = values.flatMap((v, i) => (i % 2 === 0 ? [v] : [v, v]));
  const ghost = `ghost-${randomUUID().slice(0, 8)}@example.test`;
  const poison = [
    Buffer.from(`not json ${randomUUID()}`),
    encodeApplication({
      eventId: `no-such-event-${randomUUID().slice(0, 8)}`,
      person: ghost,
      email: ghost,
      ticket: 1,
      decidedAt: Date.now(),
    }),
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
