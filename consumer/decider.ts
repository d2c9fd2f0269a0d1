import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import { decideBatch, type Announce } from '../core/decisions.ts';
import { decodeApplications, encodeApplication, PoisonMessage, type ApplicationMessage } from '../core/kafka/codec.ts';
import { toDeadLetter } from '../core/kafka/dead-letters.ts';
import { StockStateMissing, type Scripts } from '../core/redis/scripts.ts';
import { UnknownEvent, type Restorer } from '../core/reconcile/restore.ts';
import type { RedisRestarts } from '../core/redis/restarts.ts';
import { faultPoint } from '../core/fault-point.ts';
import type { ApplicationsRepo } from '../core/db/applications-repo.ts';
import type { Logger } from '../core/log.ts';
import { backoffMs, isOutage, sleep } from './retry.ts';

export interface DeciderOptions {
  topic: string;
  deadLetterTopic: string;
  chunkSize: number;
  /** Attempts before a batch that keeps failing (not an outage) is split to find the bad message. */
  attempts: number;
  retryBaseMs: number;
  /** Tells the servers' result streams about each decided batch. */
  announce?: Announce;
  /** Rebuilds an event's Redis state from MySQL when its stock is missing (Redis lost its data). */
  restorer?: Restorer;
  /** Tells when Redis restarted and may have lost its last second: events are recounted from MySQL. */
  restarts?: RedisRestarts;
}

interface Decoded { message: KafkaMessage; application: ApplicationMessage }
/** A record that could not be read, or one application of a record that kept failing. */
interface Failed { message: KafkaMessage; application?: ApplicationMessage; error: string }

/** Told what the decider did, for the metrics. */
export interface DeciderObserver {
  decided(decisions: { decision: 'W' | 'L' }[]): void;
  deadLettered(count: number): void;
}

/**
 * The Kafka edge of the decider: each batch is decoded, decided and stored in chunks; an offset is
 * committed only once its rows are in MySQL. Poison goes to the dead-letter topic with its error.
 */
export class Decider {
  decided = 0;

  constructor(
    private readonly consumer: Consumer,
    private readonly dlqProducer: Producer,
    private readonly scripts: Scripts,
    private readonly records: ApplicationsRepo,
    private readonly opts: DeciderOptions,
    private readonly log: Logger,
    private readonly observe: DeciderObserver = { decided: () => {}, deadLettered: () => {} },
  ) {}

  async run(): Promise<void> {
    await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      autoCommitThreshold: 1,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    for (let i = 0; i < batch.messages.length;) {
      if (!p.isRunning() || p.isStale()) return;
      // A chunk is whole records, up to chunkSize applications (a record holds an API's batch).
      const chunk: KafkaMessage[] = [];
      const good: Decoded[] = [];
      const poison: Failed[] = [];
      while (i < batch.messages.length && (chunk.length === 0 || good.length + poison.length < this.opts.chunkSize)) {
        const message = batch.messages[i++]!;
        chunk.push(message);
        try {
          for (const application of decodeApplications(message.value)) good.push({ message, application });
        } catch (e) {
          if (!(e instanceof PoisonMessage)) throw e;
          poison.push({ message, error: e.message });
        }
      }
      if (!(await this.recountAfterRestart(good.map((d) => d.application), p))) return;
      const failed = await this.decide(good, p);
      if (failed === null) return;
      await faultPoint('after-write');
      poison.push(...failed);
      if (poison.length) await this.deadLetter(poison, batch.topic, batch.partition, p);
      p.resolveOffset(chunk[chunk.length - 1]!.offset);
      await p.commitOffsetsIfNecessary();
      await p.heartbeat();
    }
  }

  /**
   * Decides the chunk; returns the messages that failed on their own, or null when stopping. A chunk
   * that keeps failing (not an outage) is split, so one bad application doesn't dead-letter its
   * neighbours; a single one that keeps failing is returned with its error.
   */
  private async decide(items: Decoded[], p: EachBatchPayload): Promise<Failed[] | null> {
    if (items.length === 0) return [];
    let last: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        const decided = await decideBatch(this.scripts, this.records, items.map((d) => d.application), Date.now(), this.opts.announce);
        this.decided += items.length;
        this.observe.decided(decided);
        this.log.debug({ size: items.length, requestIds: items.map((d) => d.application.requestId) }, 'batch decided');
        return [];
      } catch (caught) {
        const e = await this.heal(caught, items.map((d) => d.application), attempt);
        if (e === null) continue;
        last = e;
        const outage = isOutage(e);
        this.log.warn({ err: e, attempt, size: items.length, outage }, 'deciding a batch failed; retrying');
        if (!outage && attempt + 1 >= this.opts.attempts) break;
        if (!(await this.wait(backoffMs(attempt, this.opts.retryBaseMs), p))) return null;
      }
    }
    if (items.length === 1) return [{ ...items[0]!, error: last instanceof Error ? last.message : String(last) }];
    const failed: Failed[] = [];
    for (const item of [...items].sort((a, b) => a.application.ticket - b.application.ticket)) {
      const r = await this.decide([item], p);
      if (r === null) return null;
      failed.push(...r);
    }
    return failed;
  }

  /**
   * Redis lost an event's state (its stock key is missing): rebuild it from MySQL and try again at
   * once. Every chunk before this one is in MySQL (rows are written before offsets are committed),
   * so the restored state is the one this chunk would have been decided against. Returns null when
   * healed, else the error to judge; an event MySQL does not know is the message's fault (dead letter).
   */
  /**
   * After a Redis restart, each event is recounted from MySQL before its next decision: a restart that
   * lost the last second keeps a stock that is too high. Returns false when stopping.
   */
  private async recountAfterRestart(applications: ApplicationMessage[], p: EachBatchPayload): Promise<boolean> {
    const { restarts, restorer } = this.opts;
    if (!restarts || !restorer) return true;
    for (const eventId of new Set(applications.map((a) => a.eventId))) {
      if (!restarts.needsRecount(eventId)) continue;
      const maxTicket = applications.reduce((m, a) => (a.eventId === eventId && a.ticket > m ? a.ticket : m), 0);
      for (let attempt = 0; ; attempt++) {
        try {
          const r = await restorer.restore(eventId, { mode: 'always', maxTicket });
          this.log.warn({ eventId, ...r }, 'Redis restarted: the event was recounted from MySQL');
          restarts.recounted(eventId);
          break;
        } catch (e) {
          // An event MySQL doesn't know has nothing to recount; its applications fail on their own.
          if (e instanceof UnknownEvent) break;
          this.log.warn({ err: e, eventId, attempt }, 'recounting after a Redis restart failed; retrying');
          if (!(await this.wait(backoffMs(attempt, this.opts.retryBaseMs), p))) return false;
        }
      }
    }
    return true;
  }

  private async heal(e: unknown, applications: ApplicationMessage[], attempt: number): Promise<unknown> {
    if (!(e instanceof StockStateMissing) || !this.opts.restorer) return e;
    const maxTicket = applications.reduce((m, a) => (a.eventId === e.eventId && a.ticket > m ? a.ticket : m), 0);
    try {
      const r = await this.opts.restorer.restore(e.eventId, { maxTicket });
      this.log.warn({ eventId: e.eventId, attempt, ...r }, "an event's Redis state was missing; restored it from MySQL");
      // Straight back to deciding, unless restoring keeps not helping.
      return attempt < 3 ? null : e;
    } catch (err) {
      return err;
    }
  }

  private async deadLetter(items: Failed[], topic: string, partition: number, p: EachBatchPayload) {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.dlqProducer.send({
          topic: this.opts.deadLetterTopic,
          acks: -1,
          // An application that failed on its own is dead-lettered alone, not with its record's others.
          messages: items.map((i) => toDeadLetter(i.message, { topic, partition }, i.error, i.application && encodeApplication(i.application))),
        });
        this.observe.deadLettered(items.length);
        this.log.error({ count: items.length, errors: items.map((i) => i.error) }, 'applications dead-lettered');
        return;
      } catch (e) {
        this.log.warn({ err: e, attempt }, 'dead-letter topic unavailable; retrying');
        if (!(await this.wait(backoffMs(attempt, this.opts.retryBaseMs), p))) throw e;
      }
    }
  }

  /** Waits while heartbeating; false when the consumer is stopping and the batch should be left. */
  private async wait(ms: number, p: EachBatchPayload): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!p.isRunning() || p.isStale()) return false;
      await sleep(Math.min(1_000, until - Date.now()));
      await p.heartbeat().catch(() => {});
    }
    return p.isRunning() && !p.isStale();
  }
}
