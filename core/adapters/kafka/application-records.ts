import { Partitioners, type Message, type PartitionMetadata } from 'kafkajs';
import type { Decision } from '../../domain/decision.ts';
import { encodeApplications } from './codec.ts';

/** What an application costs in its record at most: the JSON around its fields. */
export const applicationSize = (a: Decision) => 130 + a.eventId.length + a.person.length + a.email.length + (a.requestId?.length ?? 0);

/**
 * How a group-commit batch of applications becomes Kafka records: one record per partition, holding
 * that partition's applications in order of arrival. An application goes to the partition its person
 * would go to as a key (kafkajs's murmur2, as the Java client), so one person's repeats share a
 * partition whatever record they travel in. With the partition count unknown, the batch is one record.
 */
export function applicationRecords(partitions: number | undefined): (apps: Decision[]) => Message[] {
  if (!partitions || partitions === 1) return (apps) => [{ value: encodeApplications(apps) }];
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId): PartitionMetadata => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  const byKey = Partitioners.DefaultPartitioner();
  const partitionOf = (person: string) => byKey({ topic: '', partitionMetadata, message: { key: person, value: null } });
  return (apps) => {
    const groups = new Map<number, Decision[]>();
    for (const a of apps) {
      const p = partitionOf(a.person);
      const group = groups.get(p);
      if (group) group.push(a);
      else groups.set(p, [a]);
    }
    return [...groups].map(([partition, group]) => ({ partition, value: encodeApplications(group) }));
  };
}
