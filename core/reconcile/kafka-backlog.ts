import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { decodeApplications, PoisonMessage } from '../kafka/codec.ts';

export interface PartitionLag { partition: number; committed: string; high: string; lag: number }

/** What is left in the applications topic past the decider group's committed offsets. */
export interface Backlog {
  lag: PartitionLag[];
  /** `${eventId}\n${email}` of every application not consumed yet. */
  waiting: Set<string>;
  /** The highest ticket per event among them. */
  maxTicket: Map<string, number>;
  undecodable: number;
}

export const backlogKey = (eventId: string, email: string) => `${eventId}\n${email}`;

/** Reads the topic from the group's committed offsets up to the end as it is now, without committing. */
export async function readBacklog(kafka: Kafka, topic: string, groupId: string, timeoutMs = 30_000): Promise<Backlog> {
  const admin = kafka.admin();
  await admin.connect();
  let lag: PartitionLag[];
  try {
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    lag = ends.map((e) => {
      const c = committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
      const from = BigInt(c) < 0n ? BigInt(e.low) : BigInt(c);
      return { partition: e.partition, committed: from.toString(), high: e.high, lag: Number(BigInt(e.high) - from) };
    });
  } finally {
    await admin.disconnect();
  }
  const backlog: Backlog = { lag, waiting: new Set(), maxTicket: new Map(), undecodable: 0 };
  const wanted = lag.filter((p) => p.lag > 0);
  if (wanted.length === 0) return backlog;

  const remaining = new Map(wanted.map((p) => [p.partition, BigInt(p.high)]));
  const consumer = kafka.consumer({ groupId: `terning-reconcile-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`reading the backlog of ${topic} took over ${timeoutMs} ms`)), timeoutMs);
      consumer.on(consumer.events.GROUP_JOIN, () => {
        for (const p of wanted) consumer.seek({ topic, partition: p.partition, offset: p.committed });
      });
      consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const end = remaining.get(batch.partition);
          if (end === undefined) return;
          for (const m of batch.messages) {
            if (BigInt(m.offset) >= end) break;
            if (BigInt(m.offset) < BigInt(wanted.find((p) => p.partition === batch.partition)!.committed)) continue;
            try {
              for (const a of decodeApplications(m.value)) {
                backlog.waiting.add(backlogKey(a.eventId, a.email));
                backlog.maxTicket.set(a.eventId, Math.max(backlog.maxTicket.get(a.eventId) ?? 0, a.ticket));
              }
            } catch (e) {
              if (!(e instanceof PoisonMessage)) throw e;
              backlog.undecodable++;
            }
            if (BigInt(m.offset) + 1n >= end) remaining.delete(batch.partition);
          }
          if (remaining.size === 0) resolve();
        },
      }).catch(reject);
    }).finally(() => clearTimeout(timer));
  } finally {
    await consumer.stop().catch(() => {});
    await consumer.disconnect();
  }
  return backlog;
}
