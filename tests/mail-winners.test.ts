import test from 'ava';
import { mailWinners, type MailDeps } from '../core/use-cases/persistence/mail-winners.ts';
import type { OutboxItem } from '../core/adapters/mysql/outbox-repo.ts';
import type { Mail } from '../core/adapters/ses/mailer.ts';
import { createLogger } from '../core/platform/log.ts';

/**
 * One round of telling winners, against fakes of the outbox and the mailer: each claimed email is sent
 * to the address the winner typed and marked sent with the mail service's id; one that fails is marked
 * failed with its error for the outbox's back-off, and takes no other email with it. The real outbox and
 * the SES emulator are in tests/flow.test.ts and tests/outbox-claim.test.ts.
 */
const item = (id: number, email: string): OutboxItem => ({
  id,
  eventId: 'ev',
  eventName: 'Spring sale',
  email,
  kind: 'winner',
  attempts: 0,
});

function fakes(queued: OutboxItem[], opts: { refuse?: string[]; markFailedFails?: boolean } = {}) {
  const claimed: number[] = [];
  const mails: Mail[] = [];
  const sent: [number, string | undefined][] = [];
  const failed: [number, string][] = [];
  const deps: MailDeps = {
    outbox: {
      claim: async (limit) => {
        claimed.push(limit);
        return queued.slice(0, limit);
      },
      markSent: async (id, messageId) => {
        sent.push([id, messageId]);
      },
      markFailed: async (i, error) => {
        if (opts.markFailedFails) throw new Error('mysql down');
        failed.push([i.id, error]);
      },
    },
    mailer: {
      send: async (mail) => {
        if (opts.refuse?.includes(mail.to)) throw new Error(`SES refused ${mail.to}`);
        mails.push(mail);
        return `ses-${mail.to}`;
      },
    },
    log: createLogger('test', 'silent'),
  };
  return { deps, claimed, mails, sent, failed };
}

test("each claimed email goes to the address typed, about its event, and is marked sent with the service's id", async (t) => {
  const f = fakes([item(1, 'A.b+x@example.test'), item(2, 'c@example.test'), item(3, 'd@example.test')]);
  const results: boolean[] = [];
  t.deepEqual(await mailWinners(f.deps, 2, (ok) => results.push(ok)), { claimed: 2, sent: 2, failed: 0 });
  t.deepEqual(f.claimed, [2], 'at most `max` claimed per round');
  t.deepEqual(
    f.mails.map((m) => m.to),
    ['A.b+x@example.test', 'c@example.test'],
  );
  t.true(f.mails.every((m) => m.subject.includes('Spring sale') && m.text.includes('Spring sale')));
  t.deepEqual(f.sent, [
    [1, 'ses-A.b+x@example.test'],
    [2, 'ses-c@example.test'],
  ]);
  t.deepEqual(results, [true, true]);
});

test('an email the service refuses is marked failed with its error; the others are sent', async (t) => {
  const f = fakes([item(1, 'a@example.test'), item(2, 'bad@example.test'), item(3, 'c@example.test')], { refuse: ['bad@example.test'] });
  const results: boolean[] = [];
  t.deepEqual(await mailWinners(f.deps, 10, (ok) => results.push(ok)), { claimed: 3, sent: 2, failed: 1 });
  t.deepEqual(f.failed, [[2, 'SES refused bad@example.test']]);
  t.deepEqual(f.sent.map(([id]) => id).sort(), [1, 3]);
  t.deepEqual(results.sort(), [false, true, true]);
});

test('a failure that can not even be recorded ends no round: the lease brings the email back', async (t) => {
  const f = fakes([item(1, 'bad@example.test'), item(2, 'c@example.test')], { refuse: ['bad@example.test'], markFailedFails: true });
  t.deepEqual(await mailWinners(f.deps, 10), { claimed: 2, sent: 1, failed: 1 });
  t.deepEqual(f.sent, [[2, 'ses-c@example.test']]);
});

test('an empty outbox is a round with nothing sent', async (t) => {
  const f = fakes([]);
  t.deepEqual(await mailWinners(f.deps, 10), { claimed: 0, sent: 0, failed: 0 });
  t.deepEqual(f.mails, []);
});
