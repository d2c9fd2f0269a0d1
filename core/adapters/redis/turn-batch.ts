interface Waiting<I, O> {
  item: I;
  resolve: (r: O) => void;
  reject: (e: unknown) => void;
}

/**
 * The calls that reach this process in one turn of its event loop go to Redis together: one script
 * call per event, the items in their order of arrival, instead of one call each. Under a herd a turn
 * brings tens to hundreds of applies, and a call per apply cost the API more (building, sending,
 * parsing each command) than the script's own work in Redis.
 */
export class TurnBatch<I, O> {
  private waiting = new Map<string, Waiting<I, O>[]>();
  private scheduled = false;

  constructor(
    private readonly call: (eventId: string, items: I[], now: number) => Promise<O[]>,
    private readonly maxBatch = 500,
  ) {}

  add(eventId: string, item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      let queue = this.waiting.get(eventId);
      if (!queue) this.waiting.set(eventId, (queue = []));
      queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush() {
    this.scheduled = false;
    const batches = this.waiting;
    this.waiting = new Map();
    const now = Date.now();
    for (const [eventId, queue] of batches) {
      for (let i = 0; i < queue.length; i += this.maxBatch) {
        const part = queue.slice(i, i + this.maxBatch);
        this.call(
          eventId,
          part.map((w) => w.item),
          now,
        ).then(
          (results) => part.forEach((w, j) => w.resolve(results[j]!)),
          (e) => part.forEach((w) => w.reject(e)),
        );
      }
    }
  }
}
