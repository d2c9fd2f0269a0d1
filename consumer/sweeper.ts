import { releaseStaleReservations, type StaleReservationsDeps } from '../core/use-cases/persistence/stale-reservations.ts';
import type { Logger } from '../core/platform/log.ts';
import { maskEmail } from '../core/platform/log.ts';

export interface SweeperOptions {
  timeoutMs: number;
  everyMs: number;
  onReleased?: (count: number) => void;
}

/** Gives back, every few seconds, the units of reservations Kafka never took (core/use-cases/persistence/stale-reservations.ts). */
export class Sweeper {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deps: StaleReservationsDeps,
    private readonly opts: SweeperOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.stopped) this.running = this.running.then(() => this.pass());
    }, this.opts.everyMs);
  }

  private async pass(): Promise<void> {
    try {
      const sweep = await releaseStaleReservations(this.deps, this.opts.timeoutMs);
      if (sweep.released.length) {
        this.opts.onReleased?.(sweep.released.length);
        this.log.warn(
          {
            released: sweep.released.map((r) => ({
              eventId: r.eventId,
              person: maskEmail(r.person),
              ticket: r.ticket,
              reservedAt: new Date(r.reservedAt).toISOString(),
            })),
          },
          'reservations Kafka never took were released: their units are back in the stock',
        );
      }
      if (sweep.waiting) this.log.info({ waiting: sweep.waiting }, 'stale reservations wait: the consumer group has lag');
    } catch (e) {
      this.log.warn({ err: e }, 'sweeping stale reservations failed; trying again');
    }
  }

  /** Waits for a pass in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
