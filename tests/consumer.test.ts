import test from 'ava';
import { startSystem, newEvent, randomEmail, randomEventId, testLog, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { produceRaw } from './support/kafka.ts';
import { applicationRows } from './support/db.ts';
import { decodeApplication, encodeApplication, encodeApplications } from '../core/kafka/codec.ts';
import { createKafka } from '../core/kafka/client.ts';
import { listDeadLetters } from '../core/kafka/dead-letters.ts';
import { decideBatch } from '../core/decisions.ts';
import { openStores } from '../core/stores.ts';
import { ApplicationsRepo } from '../core/db/applications-repo.ts';
import { createSequelize } from '../core/db/sequelize.ts';
import { ConsumerProcess } from '../consumer/process.ts';

let sys: System;
test.before(async () => {
  sys = await startSystem({ consumer: { sendEmails: false, retryBaseMs: 50 } });
});
test.after.always(async () => {
  await sys?.stop();
});

const snapshot = async (eventId: string) => (await http(sys.url, 'GET', `/api/admin/events/${eventId}`, { adminKey: sys.config.adminKey })).body;
const apply = async (eventId: string, email: string) => http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(email) });

test('a message delivered two and three times takes at most one unit', async (t) => {
  const eventId = await newEvent(sys, 1);
  const first = randomEmail('dup');
  const second = randomEmail('dup');
  const a = await apply(eventId, first);
  t.is(a.status, 202);
  const copy = encodeApplication({ v: 1, eventId, email: first, ticket: a.body.ticket, appliedAt: Date.now() });
  const copyB = encodeApplication({ v: 1, eventId, email: second, ticket: a.body.ticket + 1, appliedAt: Date.now() });
  await produceRaw(sys.config, [copy, copyB, copy, copyB, copy]);
  const rows = await until('both decided and every copy consumed', async () => {
    const r = await applicationRows(sys.config, eventId);
    return r.length === 2 && (sys.consumer!.decider!.decided >= 6) ? r : undefined;
  });
  t.deepEqual(rows.map((r) => [r.email, r.status]), [[first, 'WON'], [second, 'LOST']]);
  const s = await snapshot(eventId);
  t.is(s.won, 1);
  t.is(s.remainingStock, 0);
});

test('a retry after a failed database write keeps the first decision and takes no second unit', async (t) => {
  const eventId = await newEvent(sys, 2);
  const stores = openStores(sys.config);
  const broken = createSequelize('mysql://root@127.0.0.1:1/terning', { pool: 1 });
  try {
    const app = { v: 1 as const, eventId, email: randomEmail('retry'), ticket: 1, appliedAt: Date.now() };
    await t.throwsAsync(decideBatch(stores.scripts, new ApplicationsRepo(broken), [app]));
    t.is((await snapshot(eventId)).remainingStock, 1, 'the decision was made before the write failed');
    const again = await decideBatch(stores.scripts, stores.records, [app]);
    const third = await decideBatch(stores.scripts, stores.records, [app]);
    t.is(again[0]!.decision, 'W');
    t.deepEqual(third, again, 'the same decision every time');
    t.is((await snapshot(eventId)).remainingStock, 1, 'still only one unit taken');
    t.is((await applicationRows(sys.config, eventId)).length, 1);
  } finally {
    await broken.close();
    await stores.close();
  }
});

/** The rows of the two good applications around a failing one, once both are decided. */
const neighboursDecided = (eventId: string) => until('the two neighbours decided', async () => {
  const r = await applicationRows(sys.config, eventId);
  return r.length === 2 ? r : undefined;
});

/** The dead letter of the application for the ghost event. */
const deadLetterOf = (ghost: string) => {
  const kafka = createKafka({ ...sys.config.kafka, log: testLog() });
  return until('the dead letter', async () =>
    (await listDeadLetters(kafka, sys.config.kafka.deadLetterTopic)).find((l) => l.value.includes(ghost)));
};

test('an application that keeps failing in a batch is dead-lettered alone; its neighbours are decided', async (t) => {
  const eventId = await newEvent(sys, 5);
  const ghost = `ghost-${randomEventId()}`;
  const good = [randomEmail('n1'), randomEmail('n2')];
  await produceRaw(sys.config, [
    encodeApplication({ v: 1, eventId, email: good[0]!, ticket: 1, appliedAt: Date.now() }),
    encodeApplication({ v: 1, eventId: ghost, email: randomEmail('ghost'), ticket: 1, appliedAt: Date.now() }),
    encodeApplication({ v: 1, eventId, email: good[1]!, ticket: 2, appliedAt: Date.now() }),
  ]);
  const rows = await neighboursDecided(eventId);
  t.deepEqual(rows.map((r) => [r.email, r.status]), [[good[0], 'WON'], [good[1], 'WON']]);
  const letter = await deadLetterOf(ghost);
  t.regex(letter.error, /.+/);
});

test('a record holding several applications (as the API writes them) is decided whole; one failing in it is dead-lettered alone', async (t) => {
  const eventId = await newEvent(sys, 1);
  const ghost = `ghost-${randomEventId()}`;
  const good = [randomEmail('r1'), randomEmail('r2')];
  const ghostApp = { v: 1 as const, eventId: ghost, email: randomEmail('ghost'), ticket: 7, appliedAt: Date.now() };
  await produceRaw(sys.config, [encodeApplications([
    { v: 1, eventId, email: good[0]!, ticket: 1, appliedAt: Date.now() },
    ghostApp,
    { v: 1, eventId, email: good[1]!, ticket: 2, appliedAt: Date.now() },
  ])]);
  const rows = await neighboursDecided(eventId);
  t.deepEqual(rows.map((r) => [r.email, r.status]), [[good[0], 'WON'], [good[1], 'LOST']]);
  const letter = await deadLetterOf(ghost);
  t.deepEqual(decodeApplication(Buffer.from(letter.value)), ghostApp, 'the letter holds the failing application alone');
});

test('arrival order is the ticket, even when Kafka holds the later ticket first', async (t) => {
  const eventId = await newEvent(sys, 1);
  const stores = openStores(sys.config);
  try {
    const later = { v: 1 as const, eventId, email: randomEmail('later'), ticket: 2, appliedAt: Date.now() };
    const earlier = { v: 1 as const, eventId, email: randomEmail('earlier'), ticket: 1, appliedAt: Date.now() };
    const out = await decideBatch(stores.scripts, stores.records, [later, earlier]);
    t.deepEqual(out.map((d) => [d.ticket, d.decision]), [[1, 'W'], [2, 'L']]);
  } finally {
    await stores.close();
  }
});

test('poison messages go to the dead-letter topic with their error, and the next application is still decided', async (t) => {
  const eventId = await newEvent(sys, 5);
  await produceRaw(sys.config, ['not json at all', JSON.stringify({ v: 1, eventId, email: 'nobody', ticket: -3 })]);
  const after = await apply(eventId, randomEmail('after-poison'));
  t.is(after.status, 202);
  await until('the application after the poison decided', async () => ((await snapshot(eventId)).won === 1 ? true : undefined));
  const kafka = createKafka({ ...sys.config.kafka, log: testLog() });
  const letters = await until('two dead letters', async () => {
    const l = (await listDeadLetters(kafka, sys.config.kafka.deadLetterTopic)).filter((x) => x.value === 'not json at all' || x.value.includes(eventId));
    return l.length >= 2 ? l : undefined;
  });
  t.is(letters.length, 2);
  t.deepEqual(letters.map((l) => l.value).sort(), ['not json at all', JSON.stringify({ v: 1, eventId, email: 'nobody', ticket: -3 })].sort());
  t.true(letters.every((l) => l.error.length > 0 && l.sourceTopic === sys.config.kafka.applicationsTopic));
  t.regex(letters.find((l) => l.value === 'not json at all')!.error, /not JSON/);
});

test.serial('no one is left PENDING once the consumer has caught up, even with the decider stopped for a while', async (t) => {
  const eventId = await newEvent(sys, 3);
  await sys.consumer!.stop();
  const people = Array.from({ length: 12 }, () => randomEmail('catchup'));
  const answers = await Promise.all(people.map((p) => apply(eventId, p)));
  t.true(answers.every((a) => a.status === 202), 'the API accepts while the decider is down');
  t.is((await snapshot(eventId)).pending, 12);
  sys.consumer = new ConsumerProcess(sys.config, { sendEmails: false, retryBaseMs: 50 }, testLog());
  await sys.consumer.start();
  const s = await until('all decided', async () => {
    const snap = await snapshot(eventId);
    return snap.pending === 0 && snap.applied === 12 ? snap : undefined;
  });
  t.is(s.won, 3);
  t.is(s.lost, 9);
  const statuses = await Promise.all(people.map(async (p) => (await http(sys.url, 'GET', `/api/events/${eventId}/status`, { token: await sys.tokens.issue(p) })).body.status));
  t.false(statuses.includes('PENDING'));
  t.is(statuses.filter((x) => x === 'WON').length, 3);
});
