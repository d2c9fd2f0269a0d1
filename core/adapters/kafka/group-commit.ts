import type { Message, Producer } from 'kafkajs';

interface Waiting<T> {
  item: T;
  bytes: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** What a record costs in a batch beyond its key and value (attributes, offsets, lengths): an upper bound. */
const RECORD_OVERHEAD = 64;
const messageSize = (m: Message) => RECORD_OVERHEAD + (m.key?.length ?? 0) + (m.value?.length ?? 0);

/** Told about every send: how many messages went together, how long the broker took, and whether it took them. */
export type SendObserver = (size: number, seconds: number, ok: boolean) => void;

export interface GroupCommitOptions<T> {
  /** The Kafka records for a batch of items, e.g. one record per partition holding all of them. */
  pack?: (items: T[]) => Message[];
  /** An upper bound of an item's bytes in its record. */
  sizeOf?: (item: T) => number;
  maxBatch?: number;
  maxBatchBytes?: number;
  /** A send the broker hasn't answered by then fails its callers, and everyone queued behind it. */
  deadlineMs?: number;
  /** Past this many waiting messages, a new one fails at once instead of joining the wait. */
  maxQueue?: number;
  observe?: SendObserver;
}

/** Kafka is not taking messages fast enough to answer in time: the caller answers 503. */
export class KafkaStalled extends Error {}

/**
 * Group commit: one batch in flight while the next gathers. kafkajs allows only one request in flight
 * per broker on an idempotent producer, so concurrent sends are queued here and go out together (a
 * send per partition, see perPartition); each caller's promise settles when the brokers have
 * acknowledged the batch (acks=all). A batch is
 * bounded in bytes as well as in count: the broker refuses a record batch over its message.max.bytes
 * (1 MiB by default), and a herd fills a 5,000-message batch in a few milliseconds.
 */
export class GroupCommitProducer<T = Message> {
  private queue: Waiting<T>[] = [];
  private sending = false;
  private scheduled = false;
  private idle: (() => void)[] = [];
  /** Set while a send has outlived its deadline: new messages fail fast instead of piling up. */
  private stalled = false;
  private readonly maxBatch: number;
  private readonly maxBatchBytes: number;
  private readonly deadlineMs: number;
  private readonly maxQueue: number;
  private readonly observe: SendObserver;
  private readonly pack: (items: T[]) => Message[];
  private readonly sizeOf: (item: T) => number;

  constructor(
    private readonly producer: Pick<Producer, 'send'>,
    private readonly topic: string,
    opts: GroupCommitOptions<T> = {},
  ) {
    this.pack = opts.pack ?? ((items) => items as unknown as Message[]);
    this.sizeOf = opts.sizeOf ?? ((item) => messageSize(item as unknown as Message));
    this.maxBatch = opts.maxBatch ?? 5_000;
    this.maxBatchBytes = opts.maxBatchBytes ?? 512 * 1024;
    this.deadlineMs = opts.deadlineMs ?? 5_000;
    this.maxQueue = opts.maxQueue ?? 100_000;
    this.observe = opts.observe ?? (() => {});
  }

  send(item: T): Promise<void> {
    if (this.stalled) return Promise.reject(new KafkaStalled('a send to Kafka is overdue'));
    if (this.queue.length >= this.maxQueue) return Promise.reject(new KafkaStalled(`${this.queue.length} messages are waiting for Kafka`));
    return new Promise((resolve, reject) => {
      this.queue.push({ item, bytes: this.sizeOf(item), resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything queued so far has been sent or has failed. */
  flush(): Promise<void> {
    if (!this.sending && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  get pending(): number {
    return this.queue.length;
  }

  private schedule() {
    if (this.sending || this.scheduled) return;
    this.scheduled = true;
    // Let the requests of this turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  /** How many of the oldest queued messages fit in one batch (at least one). */
  private batchLength(): number {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < this.maxBatch) {
      bytes += this.queue[n]!.bytes;
      if (n > 0 && bytes > this.maxBatchBytes) break;
      n++;
    }
    return n;
  }

  private async drain() {
    if (this.sending) return;
    this.sending = true;
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.batchLength());
      const started = performance.now();
      // Past the deadline the callers are answered (a promise settles once: a late success is then
      // ignored) and the queue behind is failed too, while the send itself is left to finish, since an
      // idempotent producer allows one in flight.
      const overdue = setTimeout(() => {
        this.stalled = true;
        const late = new KafkaStalled(`Kafka did not answer within ${this.deadlineMs} ms`);
        for (const w of [...batch, ...this.queue.splice(0)]) w.reject(late);
      }, this.deadlineMs);
      try {
        await Promise.all(
          perPartition(this.pack(batch.map((w) => w.item))).map((messages) =>
            this.producer.send({ topic: this.topic, acks: -1, messages }),
          ),
        );
        this.observe(batch.length, (performance.now() - started) / 1000, true);
        for (const w of batch) w.resolve();
      } catch (e) {
        this.observe(batch.length, (performance.now() - started) / 1000, false);
        for (const w of batch) w.reject(e);
      } finally {
        clearTimeout(overdue);
        this.stalled = false;
      }
    }
    this.sending = false;
    for (const done of this.idle.splice(0)) done();
  }
}

/**
 * A batch's records, one send per partition named, sent at once. With several brokers, a send spanning
 * them is not safe to retry in kafkajs: when one broker refuses its part because its partition moved to
 * a broker that already answered, the retry skips that broker, the moved record is never sent, and the
 * send resolves as written (kafkajs#1303, #1798); the cluster fault suite caught a 202 whose decision no
 * broker had. A send of one partition goes to one broker: its retry goes to the new leader. Records
 * without a partition go together, where kafkajs's partitioner puts them.
 */
function perPartition(messages: Message[]): Message[][] {
  const groups = new Map<number | undefined, Message[]>();
  for (const m of messages) {
    const group = groups.get(m.partition);
    if (group) group.push(m);
    else groups.set(m.partition, [m]);
  }
  return [...groups.values()];
}
