import test from 'ava';
import { createTopics, newEvent, randomEmail, testConfig, testLog, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { applicationRows } from './support/db.ts';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';
import { ApiServer } from '../server/process.ts';
import { ConsumerProcess } from '../consumer/process.ts';
import { loadProofKeys } from '../core/adapters/keys/proof-keys.ts';
import { commitmentOf, nonceOf } from '../core/use-cases/proof/entries.ts';
import { httpSource } from '../core/adapters/public-log/sources.ts';
import { verify } from '../core/use-cases/proof/verify.ts';
import { personOf } from '../core/use-cases/participant/identity.ts';
import { createSequelize } from '../core/adapters/mysql/sequelize.ts';
import { QueryTypes } from 'sequelize';

// Production's shape: two API processes and two consumers on a topic of four partitions. The gate in
// Redis is the one order both APIs share, so arrival order holds however the processes are spread.
// The crowd comes from one loopback address, as if through a proxy: no cap per client network.
const config = testConfig({ LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS: '1000', HTTP_MAX_CONNECTIONS_PER_NETWORK: '0' });
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
  const answers = await Promise.all(
    tokens.flatMap((token, i) => {
      const once = http(urls[i % 2]!, 'POST', `/api/events/${eventId}/apply`, { token });
      return i % 10 === 0 ? [once, http(urls[(i + 1) % 2]!, 'POST', `/api/events/${eventId}/apply`, { token })] : [once];
    }),
  );
  t.true(
    answers.every((a) => a.status === 202 || a.status === 200 || (a.status === 409 && a.body.error.code === 'SOLD_OUT')),
    JSON.stringify(answers.find((a) => ![200, 202, 409].includes(a.status))?.body),
  );
  const won = answers.filter((a) => a.status === 202);
  t.is(won.length, stock, 'a 202 for each unit, and only for a unit');
  const tickets = won.map((a) => a.body.ticket as number).sort((a, b) => a - b);
  t.deepEqual(
    tickets,
    Array.from({ length: stock }, (_, i) => i + 1),
    'the winners hold the first S places in the order of arrival',
  );
  const rows = await until(
    'every winner persisted',
    async () => {
      const r = await applicationRows(config, eventId);
      return r.length === stock ? r : undefined;
    },
    30_000,
  );
  t.deepEqual(
    rows.map((r) => r.ticket),
    tickets,
  );
  t.true(rows.every((r) => r.status === 'WON'));
  t.is(new Set(rows.map((r) => r.person)).size, stock, 'one row per person');
  const snap = (await http(urls[1]!, 'GET', `/api/admin/events/${eventId}`, { adminKey: config.adminKey })).body;
  t.like(snap, { remainingStock: 0, won: stock, pending: 0 });
});

test("1,000 for 100 on two APIs and four partitions: the public log holds exactly MySQL's decisions, and every winner's receipt verifies in it", async (t) => {
  const stock = 100;
  const eventId = await newEvent(sys, stock);
  const people = Array.from({ length: 1_000 }, () => randomEmail('logscale'));
  const tokens = await Promise.all(people.map((p) => sys.tokens.issue(p)));
  const answers = await Promise.all(
    tokens.map((token, i) =>
      http(urls[i % 2]!, 'POST', `/api/events/${eventId}/apply`, { token }).then((a) => ({ ...a, email: people[i]! })),
    ),
  );
  const won = answers.filter((a) => a.status === 202);
  t.is(won.length, stock);
  t.is(answers.filter((a) => a.status === 409).length, 1_000 - stock);
  await http(urls[1]!, 'POST', `/api/admin/events/${eventId}/close`, { adminKey: config.adminKey });
  // stock, open, 100 winners, close
  const entries = await until(
    'the log holds every decision',
    async () => {
      const page = (await http(urls[0]!, 'GET', `/api/events/${eventId}/log/entries`)).body;
      return page?.size === stock + 3 ? (page.entries as string[]).map((e) => JSON.parse(e)) : undefined;
    },
    60_000,
    250,
  );
  const db = createSequelize(config.mysqlUrl, { pool: 1 });
  const rows = await db
    .query<{ person: string; ticket: number; status: string; decided_at: Date }>(
      'SELECT person, ticket, status, decided_at FROM applications WHERE event_id = ?',
      { replacements: [eventId], type: QueryTypes.SELECT },
    )
    .finally(() => db.close());
  const { nonceSecret } = loadProofKeys(config.proof);
  const fromMysql = rows
    .map((r) => ({
      kind: r.status === 'WON' ? 'won' : 'released',
      ticket: Number(r.ticket),
      at: new Date(r.decided_at).getTime(),
      commitment: commitmentOf(r.person, nonceOf(nonceSecret, eventId, Number(r.ticket), r.person)),
    }))
    .sort((a, b) => a.ticket - b.ticket);
  const fromLog = entries
    .filter((e) => e.kind === 'won' || e.kind === 'released')
    .map(({ kind, ticket, at, commitment }) => ({ kind, ticket, at, commitment }));
  t.deepEqual(fromLog, fromMysql, 'the log holds exactly the decisions MySQL holds, in ticket order');
  const source = httpSource(urls[1]!);
  for (const w of won) {
    const { findings } = await verify(source, { receipt: w.body.receipt, person: personOf(w.email) });
    const failed = findings.filter((f) => !f.holds);
    t.deepEqual(failed, [], `ticket ${w.body.ticket}`);
    t.true(
      findings.some((f) => /the server's own inclusion proof holds too/.test(f.says)),
      `ticket ${w.body.ticket}`,
    );
  }
});
