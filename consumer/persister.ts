import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import { persistBatch, type ReadDecision } from '../core/use-cases/persistence/persist.ts';
import type { Announce, Decision } from '../core/domain/decision.ts';
import { decodeRecord, encodeApplication, PoisonMessage } from '../core/adapters/kafka/codec.ts';
import { toDeadLetter } from '../core/adapters/kafka/dead-letters.ts';
import type { Scripts } from '../core/adapters/redis/scripts.ts';
import { faultPoint } from '../core/platform/fault-point.ts';
import { backoffMs, persistOrIsolate, type FailedAlone } from '../core/use-cases/persistence/recovery.ts';
import type { ApplicationsRepo } from '../core/adapters/mysql/applications-repo.ts';
import type { Logger } from '../core/platform/log.ts';
import { sleep } from './sleep.ts';

/** Begins rebuilding an event whose Redis state is missing (Redis lost its data): docs/decide-at-arrival.md. */
export interface RestoreStarter {
  begin(eventId: string): Promise<unknown>;
}

export interface PersisterOptions {
  topic: string;
  deadLetterTopic: string;
  chunkSize: number;
  /** The recovery policy (core/use-cases/persistence/recovery.ts). */
  attempts: number;
  retryBaseMs: number;
  /** Tells the servers' result streams about each persisted batch. */
  announce?: Announce;
  /** Marks an event restoring when Redis lost it, so its decisions can be judged by their offsets. */
  restorer?: RestoreStarter;
}

interface Decoded extends ReadDecision {
  message: KafkaMessage;
}
/**
 * A record that could not be read, one of its items that is no application, or one application that kept
 * failing (`winner`: its event is known, so Redis may hold it as won, and it may have been told 202).
 */
interface Failed {
  message: KafkaMessage;
  value?: Buffer;
  error: string;
  winner?: Decision;
}

/** Told what the persister did, for the metrics. */
export interface PersisterObserver {
  persisted(count: number, voided: number): void;
  deadLettered(count: number): void;
}

/**
 * The Kafka edge of the consumers: each batch of decisions is decoded and persisted in chunks under the
 * recovery policy (core/use-cases/persistence/recovery.ts); an offset is committed only once its rows
 * are in MySQL. Poison goes to the dead-letter topic with its error. Nothing here decides: the gate
 * did, at arrival.
 */
export class Persister {
  persisted = 0;
  /** When a batch was last begun, worked on or finished (the stall watch reads it). */
  lastActivityAt = Date.now();
  /** Batches being worked on now, an outage waited out in one included. */
  busy = 0;

  constructor(
    private readonly consumer: Consumer,
    private readonly dlqProducer: Producer,
    private readonly scripts: Scripts,
    private readonly records: ApplicationsRepo,
    private readonly opts: PersisterOptions,
    private readonly log: Logger,
    private readonly observe: PersisterObserver = { persisted: () => {}, deadLettered: () => {} },
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
    this.busy++;
    this.lastActivityAt = Date.now();
    try {
      await this.persistBatch(p);
    } finally {
      this.busy--;
      this.lastActivityAt = Date.now();
    }
  }

  private async persistBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    this.log.debug(
      { partition: batch.partition, first: batch.firstOffset(), last: batch.lastOffset(), messages: batch.messages.length },
      'batch fetched',
    );
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
          // An item that is no application is dead-lettered alone; the record's others are persisted.
          const { applications, bad } = decodeRecord(message.value);
          for (const application of applications) good.push({ message, application, partition: batch.partition, offset: message.offset });
          for (const item of bad) poison.push({ message, value: item.value, error: item.error });
        } catch (e) {
          if (!(e instanceof PoisonMessage)) throw e;
          poison.push({ message, error: e.message });
        }
      }
      const failed = await this.persist(good, p);
      if (failed === null) return;
      await faultPoint('after-write');
      // An application that failed on its own is dead-lettered alone, not with its record's others.
      for (const f of failed)
        poison.push({
          message: f.message,
          value: encodeApplication(f.application),
          error: f.error,
          winner: f.winner ? f.application : undefined,
        });
      if (poison.length) await this.deadLetter(poison, batch.topic, batch.partition, p);
      this.lastActivityAt = Date.now();
      p.resolveOffset(chunk[chunk.length - 1]!.offset);
      await p.commitOffsetsIfNecessary();
      await p.heartbeat();
    }
  }

  /** Persists the chunk under the recovery policy; returns the applications that failed on their own, or null when stopping. */
  private persist(items: Decoded[], p: EachBatchPayload): Promise<FailedAlone<Decoded>[] | null> {
    return persistOrIsolate(
      items,
      {
        persist: async (chunk) => {
          const done = await persistBatch(this.scripts, this.records, chunk, this.opts.announce);
          this.persisted += done.persisted.length;
          this.observe.persisted(done.persisted.length, done.void.length);
          if (done.void.length) {
            this.log.warn(
              { void: done.void.map((a) => ({ eventId: a.eventId, ticket: a.ticket, requestId: a.requestId })) },
              'decisions void: their reservations were released',
            );
          }
          this.log.debug({ size: chunk.length, requestIds: chunk.map((d) => d.application.requestId) }, 'batch persisted');
        },
        beginRestore: this.opts.restorer && ((eventId) => this.opts.restorer!.begin(eventId)),
        wait: (ms) => this.wait(ms, p),
        log: this.log,
      },
      this.opts,
    );
  }

  private async deadLetter(items: Failed[], topic: string, partition: number, p: EachBatchPayload) {
    for (let attempt = 0; ; attempt++) {
      try {
        // Kept in MySQL first, before the group commits past them: a winner dead-lettered after a 202
        // still counts (the export, the mail, a restore) until a replay persists it.
        await this.records.holdDeadLettered(items.flatMap((i) => (i.winner ? [{ application: i.winner, error: i.error }] : [])));
        await this.dlqProducer.send({
          topic: this.opts.deadLetterTopic,
          acks: -1,
          messages: items.map((i) => toDeadLetter(i.message, { topic, partition }, i.error, i.value)),
        });
        this.observe.deadLettered(items.length);
        this.log.error({ count: items.length, errors: items.map((i) => i.error) }, 'applications dead-lettered');
        return;
      } catch (e) {
        this.log.warn({ err: e, attempt }, 'dead-lettering failed (MySQL or the dead-letter topic); retrying');
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
