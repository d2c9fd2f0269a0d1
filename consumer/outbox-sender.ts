import type { OutboxRepo } from '../core/adapters/mysql/outbox-repo.ts';
import type { Mailer } from '../core/adapters/ses/mailer.ts';
import type { Logger } from '../core/platform/log.ts';
import { mailWinners } from '../core/use-cases/persistence/mail-winners.ts';
import { sleep } from './sleep.ts';

/**
 * The consumer's loop that tells winners (core/use-cases/persistence/mail-winners.ts), a round a second
 * at SES's pace (ratePerSecond), idle while the outbox is empty.
 */
export class OutboxSender {
  private running = false;
  private loop?: Promise<void>;
  sent = 0;

  constructor(
    private readonly outbox: OutboxRepo,
    private readonly mailer: Mailer,
    private readonly ratePerSecond: number,
    private readonly log: Logger,
    private readonly idleMs = 500,
    private readonly onResult: (ok: boolean) => void = () => {},
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const windowStart = Date.now();
      let round;
      try {
        round = await mailWinners({ outbox: this.outbox, mailer: this.mailer, log: this.log }, this.ratePerSecond, this.onResult);
      } catch (e) {
        this.log.warn({ err: e }, 'outbox unavailable');
        await sleep(2_000);
        continue;
      }
      this.sent += round.sent;
      if (round.claimed === 0) {
        await sleep(this.idleMs);
        continue;
      }
      // SES's rate: at most ratePerSecond emails a second.
      const rest = 1_000 - (Date.now() - windowStart);
      if (rest > 0) await sleep(rest);
    }
  }
}
