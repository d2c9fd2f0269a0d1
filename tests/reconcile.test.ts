import test from 'ava';
import { startSystem, newEvent, randomEmail, testLog, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { produceRaw } from './support/kafka.ts';
import { applicationRows } from './support/db.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { encodeApplication } from '../core/kafka/codec.ts';
import { reconcile } from '../core/reconcile/reconcile.ts';
import { readBacklog } from '../core/reconcile/kafka-backlog.ts';
import { reportEvent } from '../core/reconcile/report.ts';
import { createKafka, ensureTopics } from '../core/kafka/client.ts';
import { describeReport } from '../cli/commands/reconcile.ts';
import { ConsumerProcess } from '../consumer/process.ts';

let sys: System;
let stores: Stores;
test.before(async () => {
  sys = await startSystem({ consumer: { sendEmails: false, retryBaseMs: 50 } });
  stores = openStores(sys.config);
});
test.after.always(async () => {
  await stores?.close();
  await sys?.stop();
});

const kafka = () => createKafka({ ...sys.config.kafka, log: testLog() });
const apply = async (eventId: string, email: string) => http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(email) });
const snapshot = async (eventId: string) => (await http(sys.url, 'GET', `/api/admin/events/${eventId}`, { adminKey: sys.config.adminKey })).body;

/** An event with `people` applicants, all decided and in MySQL. */
async function settledEvent(stock: number, people: number): Promise<{ eventId: string; emails: string[] }> {
  const eventId = await newEvent(sys, stock);
  const emails = Array.from({ length: people }, () => randomEmail('rec'));
  // With the decider stopped every applicant gets in before anyone is decided: some will lose.
  await sys.consumer!.stop();
  for (const e of emails) {
    const a = await apply(eventId, e);
    if (a.status !== 202) throw new Error(`apply answered ${a.status} ${JSON.stringify(a.body)}`);
  }
  sys.consumer = new ConsumerProcess(sys.config, { sendEmails: false, retryBaseMs: 50 }, testLog());
  await sys.consumer.start();
  await until('all decided and written', async () => ((await applicationRows(sys.config, eventId)).length === people ? true : undefined), 30_000);
  await until('offsets committed', async () => ((await reconcile(sys.config, stores, kafka(), eventId))!.report.lag.every((p) => p.lag === 0) ? true : undefined));
  return { eventId, emails };
}

test.serial('a settled event is reported consistent', async (t) => {
  const { eventId } = await settledEvent(3, 5);
  const { report } = (await reconcile(sys.config, stores, kafka(), eventId))!;
  t.true(report.clean, describeReport(report).join('\n'));
  t.like(report, { totalStock: 3, winnersMysql: 3, losersMysql: 2, remaining: 0, expectedRemaining: 0, stockDifference: 0, pending: 0 });
  t.deepEqual([report.redisOnly, report.mysqlOnly, report.differing, report.stuck], [[], [], [], []]);
});

test.serial('--fix rebuilds stock, decisions, gate and tickets from MySQL after Redis lost every key of the event', async (t) => {
  const { eventId, emails } = await settledEvent(4, 6);
  const k = stores.scripts.keys(eventId);
  await stores.redis.del(k.meta, k.remaining, k.decisions, k.applicants, k.ticketSeq);

  const { report, fix, after } = (await reconcile(sys.config, stores, kafka(), eventId, { fix: true }))!;
  t.false(report.clean);
  t.is(report.remaining, null);
  t.is(report.mysqlOnly.length, 6);
  t.like(fix, { restored: true, decisions: 6, changed: 6, remaining: 0, winners: 4 });
  t.true(after!.clean, describeReport(after!).join('\n'));
  t.is(Number(await stores.redis.get(k.ticketSeq)), 6, 'the ticket sequence is at least the highest ticket');
  t.is(await stores.redis.hget(k.meta, 'state'), 'open');
  const again = await apply(eventId, emails[0]!);
  t.is(again.status, 200, 'a winner applying again gets the restored decision');
  t.is(again.body.status, 'WON');
});

test.serial('report and --fix: wrong stock, a flipped decision, a decision only in Redis, a stuck applicant', async (t) => {
  const { eventId, emails } = await settledEvent(2, 4);
  const k = stores.scripts.keys(eventId);
  const loser = (await applicationRows(sys.config, eventId)).find((r) => r.status === 'LOST')!;
  await stores.redis.set(k.remaining, 5);
  await stores.redis.hset(k.decisions, loser.email, `W|${loser.ticket}|${Date.now()}`);
  const ghost = randomEmail('ghost');
  await stores.redis.hset(k.decisions, ghost, `W|99|${Date.now()}`);
  const stuck = randomEmail('stuck');
  await stores.redis.hset(k.applicants, stuck, `7|${Date.now() - 120_000}`);
  const justIn = randomEmail('just-in');
  await stores.redis.hset(k.applicants, justIn, `8|${Date.now()}`);

  const { report, fix, after } = (await reconcile(sys.config, stores, kafka(), eventId, { fix: true }))!;
  t.false(report.clean);
  t.is(report.stockDifference, 5, 'remaining 5 where 0 is right: it would oversell');
  t.deepEqual(report.differing.map((d) => d.email), [loser.email]);
  t.deepEqual(report.redisOnly.map((d) => [d.email, d.waiting]), [[ghost, false]]);
  t.deepEqual(report.stuck, [{ email: stuck, ticket: 7 }], 'one admitted a moment ago is not stuck yet');
  t.like(fix, { forgotten: 1, released: 1, changed: 1, remaining: 0, winners: 2 });
  t.true(after!.clean, describeReport(after!).join('\n'));
  t.is(await stores.redis.hget(k.decisions, loser.email), report.differing[0]!.mysql, "MySQL's decision is back");
  t.is(await stores.redis.hget(k.applicants, stuck), null, 'the stuck applicant is released and may apply again');
  t.is((await applicationRows(sys.config, eventId)).length, emails.length, 'MySQL is not touched');
});

test.serial('the decider restores a wiped event from MySQL: a redelivered winner does not win twice and the stock is right', async (t) => {
  const { eventId, emails } = await settledEvent(3, 3);
  const k = stores.scripts.keys(eventId);
  await stores.redis.del(k.meta, k.remaining, k.decisions, k.applicants, k.ticketSeq);
  // The stock grows by two; the three winners so far replay their applications, and two newcomers apply.
  const rows = await applicationRows(sys.config, eventId);
  await produceRaw(sys.config, rows.map((r) => encodeApplication({ v: 1, eventId, email: r.email, ticket: r.ticket, appliedAt: Date.now() })));
  await until('the replayed copies consumed', async () => ((await reconcile(sys.config, stores, kafka(), eventId))!.report.lag.every((p) => p.lag === 0) ? true : undefined));
  const set = await http(sys.url, 'POST', `/api/admin/events/${eventId}/stock`, { adminKey: sys.config.adminKey, body: { count: 5 } });
  t.is(set.status, 200);
  t.is(set.body.remainingStock, 2, 'the three winners so far keep their units');
  const newcomers = [randomEmail('new'), randomEmail('new')];
  for (const e of newcomers) t.is((await apply(eventId, e)).status, 202);
  await until('the newcomers decided', async () => ((await applicationRows(sys.config, eventId)).length === 5 ? true : undefined), 30_000);
  const after = await applicationRows(sys.config, eventId);
  t.is(after.filter((r) => r.status === 'WON').length, 5);
  t.true(newcomers.every((e) => after.find((r) => r.email === e)!.status === 'WON'));
  t.true(emails.every((e) => after.find((r) => r.email === e)!.status === 'WON'));
  t.is((await snapshot(eventId)).remainingStock, 0);
  const { report } = (await reconcile(sys.config, stores, kafka(), eventId))!;
  t.true(report.clean, describeReport(report).join('\n'));
  t.true(newcomers.every((e) => after.find((r) => r.email === e)!.ticket > 3), 'new tickets follow the restored sequence');
});

test.serial('applicants waiting in Kafka are pending, not stuck, and the lag and the highest ticket waiting are reported', async (t) => {
  // A topic no decider reads stands for a backlog: the gate entries are made by hand.
  const eventId = await newEvent(sys, 2);
  const topic = `test.backlog.${randomEmail('t').slice(2, 14)}`;
  await ensureTopics(kafka(), [{ topic }]);
  const waiting = [randomEmail('wait'), randomEmail('wait')];
  const k = stores.scripts.keys(eventId);
  for (const [i, email] of waiting.entries()) await stores.redis.hset(k.applicants, email, `${i + 1}|${Date.now()}`);
  await produceRaw(sys.config, waiting.map((email, i) => encodeApplication({ v: 1, eventId, email, ticket: i + 1, appliedAt: Date.now() })), topic);
  const stuck = randomEmail('stuck');
  await stores.redis.hset(k.applicants, stuck, `9|${Date.now() - 120_000}`);
  const backlog = await readBacklog(kafka(), topic, `test-nobody-${Date.now()}`);
  const report = (await reportEvent({ redis: stores.redis, prefix: sys.config.redisPrefix, sequelize: stores.sequelize }, eventId, backlog))!;
  t.is(report.pending, 2);
  t.deepEqual(report.stuck, [{ email: stuck, ticket: 9 }]);
  t.deepEqual(report.lag.map((p) => p.lag), [2]);
  t.is(report.maxTicket, 2, 'the highest ticket waiting in Kafka is known');
  t.false(report.clean);
});
