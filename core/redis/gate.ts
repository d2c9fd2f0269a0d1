import type { GateResult, Scripts } from './scripts.ts';

interface Waiting { email: string; resolve: (r: GateResult) => void; reject: (e: unknown) => void }

/**
 * The applies that reach this process in one turn of its event loop pass the gate together: one
 * apply.lua call per event, the applicants in their order of arrival, instead of one call each.
 * Under a herd a turn brings tens to hundreds of applies, and a call per apply cost the API more
 * (building, sending, parsing each command) than the gate's own work in Redis.
 */
export class Gate {
  private waiting = new Map<string, Waiting[]>();
  private scheduled = false;

  constructor(private readonly scripts: Scripts, private readonly maxBatch = 500) {}

  pass(eventId: string, email: string): Promise<GateResult> {
    return new Promise((resolve, reject) => {
      let queue = this.waiting.get(eventId);
      if (!queue) this.waiting.set(eventId, (queue = []));
      queue.push({ email, resolve, reject });
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
        this.scripts.applyMany(eventId, part.map((w) => w.email), now).then(
          (results) => part.forEach((w, j) => w.resolve(results[j]!)),
          (e) => part.forEach((w) => w.reject(e)),
        );
      }
    }
  }
}
