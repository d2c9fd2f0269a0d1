import type { Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { readTopicToEnd } from './read-topic.ts';

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

/** Every letter of the dead-letter topic, from its start to its end as it is now, oldest failure first. */
export async function listDeadLetters(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  await readTopicToEnd(
    kafka,
    topic,
    (partition, message) =>
      out.push({
        id: `${partition}:${message.offset}`,
        error: header(message, 'x-error'),
        sourceTopic: header(message, 'x-source-topic'),
        sourcePartition: Number(header(message, 'x-source-partition')),
        sourceOffset: header(message, 'x-source-offset'),
        failedAt: header(message, 'x-failed-at'),
        value: message.value?.toString('utf8') ?? '',
      }),
    { reader: 'terning-dlq-reader', timeoutMs },
  );
  return out.sort((a, b) => a.failedAt.localeCompare(b.failedAt));
}

/** The dead-letter topic as the operator's desk uses it: read whole, and letters sent back for another try. */
export class DeadLetterTopic {
  constructor(
    private readonly kafka: Kafka,
    private readonly producer: Pick<Producer, 'send'>,
    private readonly topics: { applications: string; deadLetters: string },
  ) {}

  get name(): string {
    return this.topics.deadLetters;
  }

  /** Where replayed letters go. */
  get applications(): string {
    return this.topics.applications;
  }

  /** Every letter, oldest failure first (listDeadLetters). */
  list(timeoutMs = 30_000): Promise<DeadLetter[]> {
    return listDeadLetters(this.kafka, this.topics.deadLetters, timeoutMs);
  }

  /**
   * The letters back on the applications topic, acknowledged by every in-sync replica, each keyed by
   * `keyOf` like the API's own records (so it lands on that person's partition) and marked with where
   * it came from.
   */
  async sendBack(letters: DeadLetter[], keyOf: (l: DeadLetter) => string | null): Promise<void> {
    await this.producer.send({
      topic: this.topics.applications,
      acks: -1,
      messages: letters.map((l) => ({
        key: keyOf(l),
        value: Buffer.from(l.value, 'utf8'),
        headers: { 'x-replayed-from': `${this.topics.deadLetters}/${l.id}` },
      })),
    });
  }
}
