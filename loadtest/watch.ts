import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventKeys } from '../core/redis/keys.ts';

export interface DecisionPoint { t: number; applied: number; decided: number }

/**
 * Watches an event's live counts in Redis (applicants admitted by the gate, decisions made by the
 * decider), every `everyMs`, until `stop()` says so or everyone admitted has a final result.
 */
export class DecisionWatch {
  readonly points: DecisionPoint[] = [];
  private stopped = false;
  private running?: Promise<void>;

  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly eventId: string, private readonly everyMs = 20) {}

  start() {
    this.running = this.loop();
  }

  private async loop() {
    const k = eventKeys(this.prefix, this.eventId);
    while (!this.stopped) {
      const [[, applied], [, decided]] = (await this.redis.multi().hlen(k.applicants).hlen(k.decisions).exec()) as [[null, number], [null, number]];
      this.points.push({ t: Date.now(), applied, decided });
      await sleep(this.everyMs);
    }
  }

  get latest(): DecisionPoint | undefined {
    return this.points[this.points.length - 1];
  }

  /** Waits until every admitted applicant is decided (after the load is over), or the time is up. */
  async settle(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const p = this.latest;
      if (p && p.applied > 0 && p.decided >= p.applied) return true;
      await sleep(this.everyMs);
    }
    return false;
  }

  async stop() {
    this.stopped = true;
    await this.running;
  }

  /** When the decisions count first reached `n`. */
  reached(n: number): number | undefined {
    return this.points.find((p) => p.decided >= n)?.t;
  }
}

export function connectRedis(url: string) {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
}
