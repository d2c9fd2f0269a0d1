import test from 'ava';
import { createTopics, newEvent, randomEmail, testConfig, testLog, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { applicationRows } from './support/db.ts';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';
import { ApiServer } from '../server/process.ts';
import { ConsumerProcess } from '../consumer/process.ts';

// Production's shape: two API processes and two consumers on a topic of four partitions. The gate in
// Redis is the one order both APIs share, so arrival order holds however the processes are spread.
const config = testConfig({ LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS: '1000' });
const apis: ApiServer[] = [];
const consumers: ConsumerProcess[] = [];
const urls: string[] = [];
let sys: System;
test.before(async () => {
  await createTopics(config, 4);
  for (let i = 0; i < 2; i++) {
    const api = new ApiServer(config, testLog());
    apis.push(api);
    urls.push((await api.start()).url);
  }
  for (let i = 0; i < 2; i++) {
    const c = new ConsumerProcess(config, { sendEmails: false, retryBaseMs: 100 }, testLog());
    consumers.push(c);
    await c.start();
  }
  sys = { config, url: urls[0]!, adminUrl: urls[0]!, api: apis[0]!, tokens: new Tokens(config.jwt), stop: async () => {} };
});
test.after.always(async () => {
  for (const c of consumers) await c.stop();
  for (const a of apis) await a.stop();
});

test('two APIs, two consumers, four partitions: exactly S 202s, the winners are the first S to arrive, every one persisted', async (t) => {
  const stock = 40;
  const eventId = await newEvent(sys, stock);
  const people = Array.from({ length: 400 }, () => randomEmail('scale'));
  const tokens = await Promise.all(people.map((p) => sys.tokens.issue(p)));
  // Alternating APIs; a few press twice, on the other API.
  const answers = await Promise.all(tokens.flatMap((token, i) => {
    const once = http(urls[i % 2]!, 'POST', `/api/events/${eventId}/apply`, { token });
    return i % 10 === 0 ? [once, http(urls[(i + 1) % 2]!, 'POST', `/api/events/${eventId}/apply`, { token })] : [once];
  }));
  t.true(answers.every((a) => a.status === 202 || a.status === 200 || (a.status === 409 && a.body.error.code === 'SOLD_OUT')), JSON.stringify(answers.find((a) => ![200, 202, 409].includes(a.status))?.body));
  const won = answers.filter((a) => a.status === 202);
  t.is(won.length, stock, 'a 202 for each unit, and only for a unit');
  const tickets = won.map((a) => a.body.ticket as number).sort((a, b) => a - b);
  t.deepEqual(tickets, Array.from({ length: stock }, (_, i) => i + 1), 'the winners hold the first S places in the order of arrival');
  const rows = await until('every winner persisted', async () => {
    const r = await applicationRows(config, eventId);
    return r.length === stock ? r : undefined;
  }, 30_000);
  t.deepEqual(rows.map((r) => r.ticket), tickets);
  t.true(rows.every((r) => r.status === 'WON'));
  t.is(new Set(rows.map((r) => r.person)).size, stock, 'one row per person');
  const snap = (await http(urls[1]!, 'GET', `/api/admin/events/${eventId}`, { adminKey: config.adminKey })).body;
  t.like(snap, { remainingStock: 0, won: stock, pending: 0 });
});
