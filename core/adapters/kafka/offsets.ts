import type { Admin, Kafka } from 'kafkajs';

import type { EndOffsets } from '../../domain/event.ts';

export interface PartitionProgress {
  partition: number;
  /** Where the group stands: its committed offset, or the log's start when it has none (or one below it). */
  committed: string;
  high: string;
  lag: number;
}

export async function endOffsets(admin: Admin, topic: string): Promise<EndOffsets> {
  const ends = await admin.fetchTopicOffsets(topic);
  return Object.fromEntries(ends.map((p) => [String(p.partition), p.high]));
}

/**
 * The group's progress on each partition of the topic. One call after the other: kafkajs's admin
 * refreshes its metadata per call, and concurrent refreshes collide. The group's offsets first: ends
 * read after them are never behind them, so a lag of 0 means every record written before the call
 * was consumed.
 */
export async function groupProgress(admin: Admin, groupId: string, topic: string): Promise<PartitionProgress[]> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  return ends
    .sort((a, b) => a.partition - b.partition)
    .map((e) => {
      const c = BigInt(committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1');
      const low = BigInt(e.low);
      // Records below the log's start were deleted by retention: nothing is left there to consume.
      const at = c > low ? c : low;
      const high = BigInt(e.high);
      return { partition: e.partition, committed: at.toString(), high: e.high, lag: Number(high > at ? high - at : 0n) };
    });
}

export const totalLag = (progress: PartitionProgress[]) => progress.reduce((n, p) => n + p.lag, 0);

/** Whether a record at this partition and offset lies below the ends (it was in the topic when they were read). */
export const below = (ends: EndOffsets, partition: number, offset: string): boolean =>
  BigInt(offset) < BigInt(ends[String(partition)] ?? '0');

/** Whether the group has consumed every partition up to these offsets. */
export function reached(progress: PartitionProgress[], ends: EndOffsets): boolean {
  return Object.entries(ends).every(([partition, end]) => {
    const p = progress.find((x) => String(x.partition) === partition);
    return p !== undefined && BigInt(p.committed) >= BigInt(end);
  });
}

/** The applications topic's offsets as one consumer group sees them, over an admin connected when first asked. */
export class TopicOffsets {
  private admin?: Promise<Admin>;

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    readonly groupId: string,
  ) {}

  private connected(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(
        () => admin,
        (e: unknown) => {
          this.admin = undefined;
          throw e;
        },
      );
    }
    return this.admin;
  }

  async ends(): Promise<EndOffsets> {
    return endOffsets(await this.connected(), this.topic);
  }

  async progress(): Promise<PartitionProgress[]> {
    return groupProgress(await this.connected(), this.groupId, this.topic);
  }

  /** How many records a topic holds now (each partition's high minus low), over the same admin. */
  async records(topic: string): Promise<number> {
    const offsets = await (await this.connected()).fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
  }

  /** Disconnects; the next call connects again. */
  async close(): Promise<void> {
    const admin = await this.admin?.catch(() => undefined);
    this.admin = undefined;
    await admin?.disconnect().catch(() => {});
  }
}
