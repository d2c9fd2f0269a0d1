import type { Pool } from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PersistPoint {
  t: number;
  persisted: number;
}

/**
 * Watches an event's winners persisted in MySQL (the consumers' work: every answer is given before it),
 * every `everyMs`, until `stop()` says so.
 */
export class PersistWatch {
  readonly points: PersistPoint[] = [];
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly pool: Pool,
    private readonly eventId: string,
    private readonly everyMs = 50,
    /** Only winners of a later ticket are counted: those before it were persisted earlier. */
    private readonly aboveTicket = 0,
  ) {}

  start() {
    this.running = this.loop();
  }

  private async loop() {
    while (!this.stopped) {
      const [rows] = await this.pool.query("SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status = 'WON' AND ticket > ?", [
        this.eventId,
        this.aboveTicket,
      ]);
      this.points.push({ t: Date.now(), persisted: Number((rows as { n: number }[])[0]!.n) });
      await sleep(this.everyMs);
    }
  }

  get latest(): PersistPoint | undefined {
    return this.points[this.points.length - 1];
  }

  /** Waits until `winners` rows are persisted, or the time is up. */
  async settle(winners: number, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if ((this.latest?.persisted ?? -1) >= winners) return true;
      await sleep(this.everyMs);
    }
    return false;
  }

  async stop() {
    this.stopped = true;
    await this.running;
  }

  /** When the persisted count first reached `n`. */
  reached(n: number): number | undefined {
    return this.points.find((p) => p.persisted >= n)?.t;
  }
}
