import test from 'ava';
import { startSystem, newEvent, randomEmail, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { topicSize } from './support/kafka.ts';
import { applicationRows, outboxRows } from './support/db.ts';
import { QueryTypes } from 'sequelize';
import { openStores } from '../core/stores.ts';

let sys: System;
test.before(async () => {
  // The per-person limit has its own test (hardening); here one person may press thirty times at once.
  sys = await startSystem({ consumer: { sendEmails: false }, env: { LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS: '1000' } });
});
test.after.always(async () => {
  await sys?.stop();
});

const admin = () => ({ adminKey: sys.config.adminKey });
const snapshot = async (eventId: string) => (await http(sys.url, 'GET', `/api/admin/events/${eventId}`, admin())).body;
const settled = (eventId: string, applied: number) =>
  until(
    'every applicant decided',
    async () => {
      const s = await snapshot(eventId);
      return s.applied === applied && s.pending === 0 && (await applicationRows(sys.config, eventId)).length === applied ? s : undefined;
    },
    30_000,
  );

test('exactly min(stock, applicants) winners among concurrent applicants, in order of arrival', async (t) => {
  const stock = 25;
  const eventId = await newEvent(sys, stock);
  const people = Array.from({ length: 150 }, () => randomEmail('herd'));
  const tokens = await Promise.all(people.map((p) => sys.tokens.issue(p)));
  const answers = await Promise.all(tokens.map((token) => http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token })));

  const accepted = answers.filter((a) => a.status === 202);
  const soldOut = answers.filter((a) => a.status === 409 && a.body.error.code === 'SOLD_OUT');
  t.is(accepted.length + soldOut.length, people.length, 'every answer is 202 or 409 SOLD_OUT');
  t.is(accepted.length, stock, 'decided at arrival: exactly as many 202s as units');
  t.true(accepted.every((a) => a.body.status === 'WON'));
  const tickets = accepted.map((a) => a.body.ticket as number).sort((a, b) => a - b);
  t.deepEqual(
    tickets,
    Array.from({ length: accepted.length }, (_, i) => i + 1),
    'tickets are 1..n without gaps or repeats',
  );

  const s = await settled(eventId, accepted.length);
  t.is(s.won, Math.min(stock, accepted.length));
  t.is(s.remainingStock, stock - s.won);
  const rows = await applicationRows(sys.config, eventId);
  const winners = rows.filter((r) => r.status === 'WON');
  t.is(winners.length, Math.min(stock, accepted.length));
  t.deepEqual(
    winners.map((w) => w.ticket),
    Array.from({ length: winners.length }, (_, i) => i + 1),
    'the first to arrive win',
  );
  t.is(new Set(rows.map((r) => r.email)).size, rows.length, 'nobody has two rows');
  t.is((await outboxRows(sys.config, eventId)).length, winners.length, 'one email queued per winner');
});

test('with more stock than applicants everyone wins', async (t) => {
  const eventId = await newEvent(sys, 50);
  const tokens = await Promise.all(Array.from({ length: 20 }, () => sys.tokens.issue(randomEmail('few'))));
  const answers = await Promise.all(tokens.map((token) => http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token })));
  t.true(answers.every((a) => a.status === 202));
  const s = await settled(eventId, 20);
  t.is(s.won, 20);
  t.is(s.remainingStock, 30);
});

test('one person applying many times at the same moment takes one ticket and at most one unit', async (t) => {
  const eventId = await newEvent(sys, 3);
  const token = await sys.tokens.issue(randomEmail('twice'));
  const answers = await Promise.all(Array.from({ length: 30 }, () => http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token })));
  t.is(answers.filter((a) => a.status === 202).length, 1, 'exactly one 202: the apply that took the unit');
  t.is(answers.filter((a) => a.status === 200).length, 29, 'the others are repeats');
  t.deepEqual([...new Set(answers.map((a) => JSON.stringify(a.body)))], [JSON.stringify(answers[0]!.body)], 'all told the same win');
  t.deepEqual([...new Set(answers.map((a) => a.body.ticket))], [1]);
  const s = await settled(eventId, 1);
  t.is(s.won, 1);
  t.is(s.remainingStock, 2);
  const again = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token });
  t.is(again.status, 200, 'once decided, applying again answers the decision');
  t.deepEqual(again.body.status, 'WON');
  t.is(again.body.ticket, 1);
  t.is((await applicationRows(sys.config, eventId)).length, 1);
});

test('aliases of one person pressing at the same moment: one 202 among them, the others 200', async (t) => {
  const eventId = await newEvent(sys, 3);
  const id = randomEmail('alias').split('@')[0]!.replaceAll('-', '');
  const aliases = [`${id}@gmail.com`, `${id}+a@gmail.com`, `${id.slice(0, 2)}.${id.slice(2)}@googlemail.com`, `${id}+b@gmail.com`];
  const tokens = await Promise.all(aliases.map((a) => sys.tokens.issue(a)));
  const answers = await Promise.all(
    tokens.flatMap((token) => [0, 1, 2].map(() => http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token }))),
  );
  t.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
  t.deepEqual([...new Set(answers.map((a) => a.body.ticket))], [1]);
});

test.serial('a sold-out apply answers 409 and writes nothing to Kafka', async (t) => {
  const eventId = await newEvent(sys, 1);
  const first = await sys.tokens.issue(randomEmail('first'));
  t.is((await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: first })).status, 202);
  await settled(eventId, 1);
  const before = await topicSize(sys.config);
  const late = await Promise.all(
    Array.from({ length: 10 }, async () =>
      http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail('late')) }),
    ),
  );
  t.true(late.every((a) => a.status === 409 && a.body.error.code === 'SOLD_OUT'));
  t.is(await topicSize(sys.config), before, 'the topic did not grow');
  const s = await snapshot(eventId);
  t.is(s.applied, 1, 'no one was registered');
  const status = await http(sys.url, 'GET', `/api/events/${eventId}/status`, { token: await sys.tokens.issue(randomEmail('never')) });
  t.is(status.status, 404);
});

test('stock set during the event keeps the winners and never goes below them', async (t) => {
  const eventId = await newEvent(sys, 5);
  const tokens = await Promise.all(Array.from({ length: 4 }, () => sys.tokens.issue(randomEmail('mid'))));
  await Promise.all(tokens.map((token) => http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token })));
  await settled(eventId, 4);
  const below = await http(sys.url, 'POST', `/api/admin/events/${eventId}/stock`, { ...admin(), body: { count: 3 } });
  t.is(below.status, 409);
  t.is(below.body.error.code, 'STOCK_BELOW_WINNERS');
  t.is((await snapshot(eventId)).totalStock, 5, 'the refused change changed nothing');
  const raised = await http(sys.url, 'POST', `/api/admin/events/${eventId}/stock`, { ...admin(), body: { count: 10 } });
  t.is(raised.status, 200);
  t.is(raised.body.totalStock, 10);
  t.is(raised.body.remainingStock, 6);
  t.is(raised.body.won, 4);
  const lowered = await http(sys.url, 'POST', `/api/admin/events/${eventId}/stock`, { ...admin(), body: { count: 4 } });
  t.is(lowered.body.remainingStock, 0);
  const late = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail('after')) });
  t.is(late.body.error.code, 'SOLD_OUT');
});

test('stock changes at the same moment leave Redis and MySQL with the same total', async (t) => {
  const eventId = await newEvent(sys, 5);
  const counts = Array.from({ length: 12 }, (_, i) => 10 + i);
  const answers = await Promise.all(
    counts.map((count) => http(sys.url, 'POST', `/api/admin/events/${eventId}/stock`, { ...admin(), body: { count } })),
  );
  t.true(answers.every((a) => a.status === 200));
  const live = await snapshot(eventId);
  const stores = openStores(sys.config);
  try {
    const [row] = await stores.sequelize.query<{ total_stock: number }>('SELECT total_stock FROM events WHERE id = ?', {
      replacements: [eventId],
      type: QueryTypes.SELECT,
    });
    t.is(live.totalStock, row!.total_stock, 'Redis and MySQL agree');
    t.is(live.remainingStock, live.totalStock);
  } finally {
    await stores.close();
  }
});

test('an event that is not open refuses applications, and opens and closes on schedule', async (t) => {
  const eventId = await newEvent(sys, 5, false);
  const token = await sys.tokens.issue(randomEmail('early'));
  const early = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token });
  t.is(early.status, 404, 'a draft is hidden from participants');
  t.is(early.body.error.code, 'EVENT_NOT_FOUND');
  const at = new Date(Date.now() + 4_000).toISOString();
  const scheduled = await http(sys.url, 'POST', `/api/admin/events/${eventId}/open`, { ...admin(), body: { at } });
  t.is(scheduled.body.state, 'scheduled');
  t.is((await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token })).body.error.code, 'EVENT_NOT_OPEN');
  const opened = await until(
    'the scheduled opening',
    async () => {
      const a = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token });
      return a.status === 202 ? a : undefined;
    },
    15_000,
  );
  t.is(opened.body.ticket, 1);
  const closed = await http(sys.url, 'POST', `/api/admin/events/${eventId}/close`, admin());
  t.is(closed.body.state, 'closed');
  const late = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail('late')) });
  t.is(late.body.error.code, 'EVENT_NOT_OPEN');
  await settled(eventId, 1);
});
