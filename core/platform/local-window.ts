/**
 * A fixed-window counter per key, in this process's memory: at most `points` takes per key in
 * `durationMs` from the key's first take. What an apply or a status check costs the hot path is a Map
 * lookup; expired windows are swept at most once per window.
 */
export class LocalWindow {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private nextSweep = 0;

  constructor(
    readonly points: number,
    private readonly durationMs: number,
  ) {}

  /** Counts one take; returns 0 when allowed, else the ms until the key's window turns. */
  take(key: string, now = Date.now()): number {
    if (now >= this.nextSweep) this.sweep(now);
    const w = this.windows.get(key);
    if (w === undefined || now >= w.resetAt) {
      this.windows.set(key, { count: 1, resetAt: now + this.durationMs });
      return 0;
    }
    w.count++;
    return w.count > this.points ? w.resetAt - now : 0;
  }

  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number) {
    for (const [key, w] of this.windows) if (now >= w.resetAt) this.windows.delete(key);
    this.nextSweep = now + this.durationMs;
  }
}
