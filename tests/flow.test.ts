import test from 'ava';
import { QueryTypes } from 'sequelize';
import { startSystem, newEvent, randomEmail, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { readCode, waitForEmail } from './support/ses.ts';
import { until } from './support/wait.ts';
import { createSequelize } from '../core/db/sequelize.ts';

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
  t.is(reused.body.error.code, 'CODE_EXPIRED');

  const applied = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token });
  t.is(applied.status, 202);
  t.deepEqual(applied.body, { status: 'PENDING', ticket: 1, decidedAt: null });

  const final = await until('a decision', async () => {
    const s = await http(sys.url, 'GET', `/api/events/${eventId}/status`, { token });
    return s.body.status === 'PENDING' ? undefined : s;
  });
  t.is(final.status, 200);
  t.is(final.body.status, 'WON');
  t.is(final.body.ticket, 1);
  t.truthy(Date.parse(final.body.decidedAt));

  const mail = await waitForEmail(email, /You won/);
  t.regex(mail.body.text ?? '', /winners/);

  const db = createSequelize(sys.config.mysqlUrl);
  const rows = await db.query<{ status: string; ticket: number }>('SELECT status, ticket FROM applications WHERE event_id = ? AND email = ?', { replacements: [eventId, email], type: QueryTypes.SELECT });
  await db.close();
  t.deepEqual(rows.map((r) => [r.status, Number(r.ticket)]), [['WON', 1]]);
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
  const final = await until('a decision', async () => {
    const s = await http(sys.url, 'GET', '/api/event/status', { token });
    return s.body.status === 'WON' ? s : undefined;
  });
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
