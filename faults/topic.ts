import type { Kafka } from 'kafkajs';
import type { Decision } from '../core/domain/decision.ts';
import { decodeApplications } from '../core/adapters/kafka/codec.ts';
import { readTopicToEnd } from '../core/adapters/kafka/read-topic.ts';

export interface EventRecord {
  partition: number;
  offset: string;
  value: Buffer;
  applications: Decision[];
}

/**
 * Every record of one event in the topic, from its start to its end as it is now (a group of its own,
 * nothing committed). A record holds applications of one or many events: only this event's are kept;
 * records that can't be read (injected poison) are skipped.
 */
export async function readEvent(kafka: Kafka, topic: string, eventId: string, timeoutMs = 60_000): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  await readTopicToEnd(
    kafka,
    topic,
    (partition, message) => {
      try {
        const mine = message.value ? decodeApplications(message.value).filter((a) => a.eventId === eventId) : [];
        if (mine.length) out.push({ partition, offset: message.offset, value: message.value!, applications: mine });
      } catch {
        /* poison */
      }
    },
    { reader: 'terning-faults-read', timeoutMs },
  );
  return out;
}
