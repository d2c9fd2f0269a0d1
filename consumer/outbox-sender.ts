import type { OutboxRepo } from '../core/adapters/mysql/outbox-repo.ts';
import type { Mailer } from '../core/adapters/ses/mailer.ts';
import { winnerMail } from '../core/adapters/ses/templates.ts';
import type { Logger } from '../core/platform/log.ts';
import { maskEmail } from '../core/platform/log.ts';
import { sleep } from './sleep.ts';

/**
 * Drains the email outbox at SES's pace (ratePerSecond), apart from deciding, so a slow or failing
 * mail service never holds up a decision. Failures are retried by the outbox's back-off.
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
      let items;
      try {
        items = await this.outbox.claim(this.ratePerSecond);
      } catch (e) {
        this.log.warn({ err: e }, 'outbox unavailable');
        await sleep(2_000);
        continue;
      }
      if (items.length === 0) {
        await sleep(this.idleMs);
        continue;
      }
      await Promise.all(items.map(async (item) => {
        try {
          const id = await this.mailer.send(winnerMail(item.email, item.eventName));
          await this.outbox.markSent(item.id, id);
          this.sent += 1;
          this.onResult(true);
        } catch (e) {
          this.onResult(false);
          this.log.warn({ err: e, email: maskEmail(item.email) }, 'winner email failed; will retry');
          await this.outbox.markFailed(item, e instanceof Error ? e.message : String(e)).catch(() => {});
        }
      }));
      const rest = 1_000 - (Date.now() - windowStart);
      if (rest > 0) await sleep(rest);
    }
  }
}
