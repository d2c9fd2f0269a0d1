import type { Message, Producer } from 'kafkajs';

interface Waiting { message: Message; bytes: number; resolve: () => void; reject: (e: unknown) => void }

/** What a record costs in a batch beyond its key and value (attributes, offsets, lengths): an upper bound. */
const RECORD_OVERHEAD = 64;
const sizeOf = (m: Message) => RECORD_OVERHEAD + (m.key?.length ?? 0) + (m.value?.length ?? 0);

/** Told about every send: how many messages went together, how long the broker took, and whether it took them. */
export type SendObserver = (size: number, seconds: number, ok: boolean) => void;

/**
 * Group commit: one idempotent send in flight while the next batch gathers. kafkajs allows only one
 * request in flight on an idempotent producer, so concurrent sends are queued here and go out together;
 * each caller's promise settles when the broker has acknowledged its message (acks=all). A batch is
 * bounded in bytes as well as in count: the broker refuses a record batch over its message.max.bytes
 * (1 MiB by default), and a herd fills a 5,000-message batch in a few milliseconds.
 */
export class GroupCommitProducer {
  private queue: Waiting[] = [];
  private sending = false;
  private scheduled = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly producer: Pick<Producer, 'send'>,
    private readonly topic: string,
    private readonly maxBatch = 5_000,
    private readonly observe: SendObserver = () => {},
    private readonly maxBatchBytes = 512 * 1024,
  ) {}

  send(message: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, bytes: sizeOf(message), resolve, reject });
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
      try {
        await this.producer.send({ topic: this.topic, acks: -1, messages: batch.map((w) => w.message) });
        this.observe(batch.length, (performance.now() - started) / 1000, true);
        for (const w of batch) w.resolve();
      } catch (e) {
        this.observe(batch.length, (performance.now() - started) / 1000, false);
        for (const w of batch) w.reject(e);
      }
    }
    this.sending = false;
    for (const done of this.idle.splice(0)) done();
  }
}
