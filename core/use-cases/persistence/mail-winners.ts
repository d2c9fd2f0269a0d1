import type { OutboxRepo } from '../../adapters/mysql/outbox-repo.ts';
import type { Mailer } from '../../adapters/ses/mailer.ts';
import { winnerMail } from '../../adapters/ses/templates.ts';
import { maskEmail, type Logger } from '../../platform/log.ts';

export interface MailRound {
  claimed: number;
  sent: number;
  failed: number;
}

/** The outbox and the mailer, as narrow as a round calls them (tests/mail-winners.test.ts gives it fakes). */
export interface MailDeps {
  outbox: Pick<OutboxRepo, 'claim' | 'markSent' | 'markFailed'>;
  mailer: Pick<Mailer, 'send'>;
  log: Logger;
}

/**
 * One round of telling winners: up to `max` queued winner emails are claimed from the outbox (a lease,
 * so several senders never send the same one), sent, and marked sent with SES's message id, or failed
 * for the outbox's back-off to try again. The emails were queued in the transaction that persisted the
 * wins, so a win is never told before it is stored, and a mail service that is slow or down never holds
 * up a decision.
 */
export async function mailWinners(deps: MailDeps, max: number, onResult: (ok: boolean) => void = () => {}): Promise<MailRound> {
  const items = await deps.outbox.claim(max);
  let sent = 0;
  await Promise.all(
    items.map(async (item) => {
      try {
        const id = await deps.mailer.send(winnerMail(item.email, item.eventName));
        await deps.outbox.markSent(item.id, id);
        sent += 1;
        onResult(true);
      } catch (e) {
        onResult(false);
        deps.log.warn({ err: e, email: maskEmail(item.email) }, 'winner email failed; will retry');
        await deps.outbox.markFailed(item, e instanceof Error ? e.message : String(e)).catch(() => {});
      }
    }),
  );
  return { claimed: items.length, sent, failed: items.length - sent };
}
