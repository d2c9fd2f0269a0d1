import test from 'ava';
import { QueryTypes } from 'sequelize';
import { startSystem, newEvent, randomEmail, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { readCode, waitForEmail } from './support/ses.ts';
import { until } from './support/wait.ts';
import { createSequelize } from '../core/adapters/mysql/sequelize.ts';

let sys: System;
test.before(async () => {
  // Other files' winners queue emails in the same test database; this sender drains them quickly.
  sys = await startSystem({ env: { SES_RATE_PER_SECOND: '500' } });
});
test.after.always(async () => {
  await sys?.stop();
});

test('the whole flow: code by email, token, apply, decision, winner email and the row in MySQL', async (t) => {
  const eventId = await newEvent(sys, 1);
  const email = randomEmail('flow');

  const sent = await http(sys.url, 'POST', '/api/auth/send-verification-code', { body: { email: `  ${email.toUpperCase()} ` } });
  t.is(sent.status, 200);
  const code = await readCode(email);
  t.regex(code, /^\d{6}$/);

  const verified = await http(sys.url, 'POST', '/api/auth/verify-code', { body: { email, code } });
  t.is(verified.status, 200);
  const token = verified.body.token as string;
  const [, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  t.is(claims.sub, email);
  t.is(claims.exp - claims.iat, 600);

  const reused = await http(sys.url, 'POST', '/api/auth/verify-code', { body: { email, code } });
  t.is(reused.status, 401, 'a code works once');
  t.is(reused.body.error.code, 'CODE_INVALID');

  const applied = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token });
  t.is(applied.status, 202, 'decided at arrival, answered once Kafka holds it');
  t.is(applied.body.status, 'WON');
  t.is(applied.body.ticket, 1);
  t.truthy(Date.parse(applied.body.decidedAt));

  const status = await http(sys.url, 'GET', `/api/events/${eventId}/status`, { token });
  t.is(status.status, 200);
  t.deepEqual(status.body, applied.body, 'the status answers WON at once');

  const again = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token });
  t.is(again.status, 200, 'a repeat is told the same win');
  t.deepEqual(again.body, applied.body);

  const late = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail('late')) });
  t.is(late.status, 409);
  t.is(late.body.error.code, 'SOLD_OUT');

  const mail = await waitForEmail(email, /You won/);
  t.regex(mail.body.text ?? '', /winners/);

  const db = createSequelize(sys.config.mysqlUrl);
  const rows = await db.query<{ status: string; ticket: number }>(
    'SELECT status, ticket FROM applications WHERE event_id = ? AND email = ?',
    { replacements: [eventId, email], type: QueryTypes.SELECT },
  );
  await db.close();
  t.deepEqual(
    rows.map((r) => [r.status, Number(r.ticket)]),
    [['WON', 1]],
  );
});

test('one person is one applicant: aliases of an address share one win, mail goes to the address typed', async (t) => {
  const eventId = await newEvent(sys, 5);
  const id = randomEmail('alias').split('@')[0]!.replaceAll('-', '');
  const typed = `${id.slice(0, 3)}.${id.slice(3)}+gift@googlemail.com`;
  const aliases = [`${id}@gmail.com`, `${id}+1@gmail.com`, `${id.slice(0, 2)}.${id.slice(2)}@gmail.com`, `${id}@googlemail.com`];
  const first = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(typed) });
  t.is(first.status, 202);
  for (const alias of aliases) {
    const again = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(alias) });
    t.is(again.status, 200, `${alias} is the same person`);
    t.is(again.body.ticket, first.body.ticket);
  }
  const plus = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(`${id}+x@example.test`) });
  const bare = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(`${id}@example.test`) });
  t.is(plus.status, 202);
  t.is(bare.status, 200, 'plus-tags are dropped for every domain');
  t.is(bare.body.ticket, plus.body.ticket);

  const db = createSequelize(sys.config.mysqlUrl);
  try {
    const rows = await until('the rows', async () => {
      const r = await db.query<{ person: string; email: string }>(
        'SELECT person, email FROM applications WHERE event_id = ? ORDER BY ticket',
        { replacements: [eventId], type: QueryTypes.SELECT },
      );
      return r.length === 2 ? r : undefined;
    });
    t.deepEqual(
      rows.map((r) => [r.person, r.email]),
      [
        [`${id}@gmail.com`, typed],
        [`${id}@example.test`, `${id}+x@example.test`],
      ],
    );
  } finally {
    await db.close();
  }
  const info = await http(sys.url, 'GET', `/api/admin/events/${eventId}`, { adminKey: sys.config.adminKey });
  t.is(info.body.won, 2);
  t.is(info.body.remainingStock, 3);
});

test('the original calls serve the default event once it is opened', async (t) => {
  const admin = { adminKey: sys.config.adminKey };
  const stock = await http(sys.url, 'POST', '/api/admin/event/stock', { ...admin, body: { count: 5 } });
  t.is(stock.status, 200);
  t.is(stock.body.id, sys.config.defaultEventId);
  const opened = await http(sys.url, 'POST', '/api/admin/event/open', admin);
  t.is(opened.body.state, 'open');
  const token = await sys.tokens.issue(randomEmail('default'));
  const applied = await http(sys.url, 'POST', '/api/event/apply', { token });
  t.is(applied.status, 202);
  t.is(applied.body.status, 'WON');
  const final = await http(sys.url, 'GET', '/api/event/status', { token });
  t.is(final.body.status, 'WON');
  t.is(final.body.ticket, applied.body.ticket);
  const info = await http(sys.url, 'GET', '/api/admin/event', admin);
  t.is(info.body.won, 1);
  t.is(info.body.remainingStock, 4);
  t.is(info.body.pending, 0);
});

test('the page is served at /', async (t) => {
  const page = await http(sys.url, 'GET', '/');
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /text\/html/);
  t.is(page.headers.get('cache-control'), 'no-cache');
  const script = /src="(\/assets\/main-[A-Z0-9]+\.js)"/.exec(String(page.body))?.[1];
  t.truthy(script, 'the page names its hashed script');
  const js = await http(sys.url, 'GET', script!);
  t.regex(js.headers.get('cache-control') ?? '', /immutable/);
  t.regex(String(js.body), /send-verification-code/);
});
