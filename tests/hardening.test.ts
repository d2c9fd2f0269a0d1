import test from 'ava';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startSystem, newEvent, randomEmail, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { readCode } from './support/ses.ts';
import { until } from './support/wait.ts';

let sys: System;
let ipSeq = 0;
/** Each test speaks from its own address (X-Forwarded-For is trusted here), so per-IP counts don't mix. */
const from = () => ({ 'X-Forwarded-For': `198.51.100.${++ipSeq}` });
const rand16 = () => Math.floor(Math.random() * 0x10000).toString(16);

test.before(async () => {
  sys = await startSystem({
    env: {
      TRUST_PROXY: 'true',
      CODE_RESEND_SECONDS: '0',
      LIMIT_CODE_SENDS_PER_ADDRESS_PER_HOUR: '2',
      LIMIT_CODE_SENDS_PER_IP_PER_HOUR: '4',
      LIMIT_FAILED_CODE_CHECKS_PER_IP_PER_HOUR: '3',
      LIMIT_ADMIN_FAILURES_PER_IP_PER_15_MINUTES: '3',
      LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS: '3',
      LIMIT_STATUS_CHECKS_PER_PERSON_PER_MINUTE: '5',
      CORS_ORIGINS: 'https://gift.example',
    },
    consumer: { sendEmails: false },
  });
});
test.after.always(async () => {
  await sys?.stop();
});

const send = (email: string, headers: Record<string, string>) =>
  http(sys.url, 'POST', '/api/auth/send-verification-code', { body: { email }, headers });

test('code sends are limited per address from one IP and per IP, with Retry-After', async (t) => {
  const ip = from();
  const email = randomEmail('hourly');
  t.is((await send(email, ip)).status, 200);
  t.is((await send(email, ip)).status, 200);
  const third = await send(email, ip);
  t.is(third.status, 429, 'a third code to one address in an hour from one IP');
  t.is(third.body.error.code, 'TOO_MANY_CODES');
  t.true(Number(third.headers.get('retry-after')) > 0);
  t.is((await send(email, from())).status, 200, "another IP has a quota of its own: a stranger can't spend the owner's");

  const ip2 = from();
  for (let i = 0; i < 4; i++) t.is((await send(randomEmail('ip'), ip2)).status, 200);
  const fifth = await send(randomEmail('ip'), ip2);
  t.is(fifth.status, 429, 'a fifth address from one IP');
  t.is(fifth.body.error.code, 'TOO_MANY_CODES');
});

test('failed code checks without a challenge id are limited per IP; the sign-in holding its id is not', async (t) => {
  const ip = from();
  const email = randomEmail('guess');
  const { challengeId } = (await send(email, ip)).body;
  const code = await readCode(email);
  const wrong = code === '000000' ? '111111' : '000000';
  for (let i = 0; i < 3; i++)
    t.is(
      (await http(sys.url, 'POST', '/api/auth/verify-code', { body: { email: randomEmail('other'), code: wrong }, headers: ip })).status,
      401,
    );
  const blocked = await http(sys.url, 'POST', '/api/auth/verify-code', { body: { email, code }, headers: ip });
  t.is(blocked.status, 429);
  t.is(blocked.body.error.code, 'TOO_MANY_FAILED_CODES');
  t.true(Number(blocked.headers.get('retry-after')) > 0);
  const withId = await http(sys.url, 'POST', '/api/auth/verify-code', { body: { email, code, challengeId }, headers: ip });
  t.is(withId.status, 200, "the refused try was never checked, and the id holder is not held by the network's limit");
});

test('repeated wrong admin keys are answered 429, even for the right key, from that address only', async (t) => {
  const ip = from();
  for (let i = 0; i < 3; i++) t.is((await http(sys.url, 'GET', '/api/admin/events', { adminKey: `guess-${i}`, headers: ip })).status, 401);
  const blocked = await http(sys.url, 'GET', '/api/admin/events', { adminKey: sys.config.adminKey, headers: ip });
  t.is(blocked.status, 429);
  t.is(blocked.body.error.code, 'TOO_MANY_ADMIN_FAILURES');
  t.false(JSON.stringify(blocked.body).includes(sys.config.adminKey));
  t.is((await http(sys.url, 'GET', '/api/admin/events', { adminKey: sys.config.adminKey, headers: from() })).status, 200);
});

const ADMIN_FAILURES = 3;
const admin = (key: string, forwardedFor: string) =>
  http(sys.url, 'GET', '/api/admin/events', { adminKey: key, headers: { 'X-Forwarded-For': forwardedFor } });

test('a burst of wrong admin keys sent at once from one address has exactly the limit compared; the rest 429', async (t) => {
  const ip = from()['X-Forwarded-For'];
  const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => admin(`burst-${i}`, ip)));
  const count = (status: number) => burst.filter((a) => a.status === status).length;
  t.deepEqual({ compared: count(401), refused: count(429) }, { compared: ADMIN_FAILURES, refused: 40 - ADMIN_FAILURES });
  t.true(burst.filter((a) => a.status === 429).every((a) => a.body.error.code === 'TOO_MANY_ADMIN_FAILURES'));
});

test('the right admin key costs nothing: it gives back the try it took', async (t) => {
  const ip = from()['X-Forwarded-For'];
  const statuses = [];
  for (const key of ['guess-1', 'guess-2', sys.config.adminKey, sys.config.adminKey, 'guess-3', 'guess-4'])
    statuses.push((await admin(key, ip)).status);
  t.deepEqual(statuses, [401, 401, 200, 200, 401, 429]);
});

let net6 = 0;
test('wrong admin keys from the addresses of one IPv6 /64 count together; the next /64 has its own', async (t) => {
  const net = `2001:db8:${(++net6).toString(16)}:${rand16()}`;
  const codes = [];
  for (let i = 1; i <= ADMIN_FAILURES + 1; i++) codes.push((await admin(`guess-${i}`, `${net}::${i.toString(16)}`)).body.error.code);
  t.deepEqual(codes, [...Array<string>(ADMIN_FAILURES).fill('ADMIN_KEY_INVALID'), 'TOO_MANY_ADMIN_FAILURES']);
  t.is((await admin(sys.config.adminKey, `${net}:ffff:ffff:ffff:ffff`)).status, 429, 'the same /64, written in full');
  const next = `2001:db8:${net6.toString(16)}:${rand16()}::1`;
  t.is((await admin('guess', next)).body.error.code, 'ADMIN_KEY_INVALID');
});

test('apply and status are limited per person, not per IP', async (t) => {
  const eventId = await newEvent(sys, 100);
  const ip = from();
  const token = await sys.tokens.issue(randomEmail('hammer'));
  const presses = [];
  for (let i = 0; i < 4; i++) presses.push(await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token, headers: ip }));
  t.deepEqual(
    presses.slice(0, 3).map((p) => p.body.ticket),
    [1, 1, 1],
  );
  t.is(presses[3]!.status, 429);
  t.is(presses[3]!.body.error.code, 'TOO_MANY_REQUESTS');
  t.true(Number(presses[3]!.headers.get('retry-after')) >= 1);

  const crowd = await Promise.all(
    Array.from({ length: 20 }, async () =>
      http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail('nat')), headers: ip }),
    ),
  );
  t.true(
    crowd.every((a) => a.status === 202),
    'twenty people behind one address all get in',
  );

  const polls = [];
  for (let i = 0; i < 6; i++) polls.push((await http(sys.url, 'GET', `/api/events/${eventId}/status`, { token, headers: ip })).status);
  t.deepEqual(polls, [200, 200, 200, 200, 200, 429]);
});

test('answers to send-verification-code never reveal whether an address applied or won', async (t) => {
  const eventId = await newEvent(sys, 5);
  const winner = randomEmail('won');
  const token = await sys.tokens.issue(winner);
  await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token });
  await until('a decision', async () =>
    (await http(sys.url, 'GET', `/api/events/${eventId}/status`, { token })).body.status === 'WON' ? true : undefined,
  );
  const known = await send(winner, from());
  const stranger = await send(randomEmail('new'), from());
  t.is(known.status, stranger.status);
  const shape = ({ challengeId, reference, ...rest }: Record<string, unknown>) => ({
    ...rest,
    challengeId: /^[\w-]{22}$/.test(String(challengeId)),
    reference: /^[A-Z]{4}$/.test(String(reference)),
  });
  t.deepEqual(shape(known.body), shape(stranger.body), "the same answer, but for each sign-in's own random id and its reference");
});

test('CORS answers only the allowed origins; security headers are set', async (t) => {
  const allowed = await http(sys.url, 'GET', '/api/event', { headers: { Origin: 'https://gift.example' } });
  t.is(allowed.headers.get('access-control-allow-origin'), 'https://gift.example');
  const other = await http(sys.url, 'GET', '/api/event', { headers: { Origin: 'https://evil.example' } });
  t.is(other.headers.get('access-control-allow-origin'), null);
  const preflight = await http(sys.url, 'OPTIONS', '/api/event/apply', {
    headers: { Origin: 'https://gift.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
  });
  t.is(preflight.status, 204);
  t.regex(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
  t.is(other.headers.get('x-content-type-options'), 'nosniff');
  t.is(other.headers.get('x-frame-options'), 'DENY');
  t.regex(other.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  t.is(other.headers.get('x-powered-by'), null);
});

test('with ADMIN_PORT the admin API is served on its own port only', async (t) => {
  const split = await startSystem({ consumer: false, env: { ADMIN_PORT: '0' } });
  try {
    t.not(split.adminUrl, split.url);
    const admin = { adminKey: split.config.adminKey };
    t.is((await http(split.url, 'GET', '/api/admin/events', admin)).status, 404, 'not on the public port');
    t.is((await http(split.adminUrl, 'GET', '/api/admin/events', admin)).status, 200);
    t.is((await http(split.adminUrl, 'GET', '/')).status, 404, 'the admin port serves nothing public');
    t.is((await http(split.url, 'GET', '/')).status, 200);
    t.is((await http(split.url, 'GET', '/metrics')).status, 404, 'no metrics on the public port, even with the key');
    t.is((await http(split.url, 'GET', '/metrics', admin)).status, 404);
    const scraped = await http(split.adminUrl, 'GET', '/metrics');
    t.is(scraped.status, 200, 'Prometheus reads the admin port without the key');
    t.regex(String(scraped.body), /process_resident_memory_bytes/);
  } finally {
    await split.stop();
  }
});

test('logs never hold codes or tokens, and emails in them are masked', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logged = await startSystem({ log: pino({ level: 'trace' }, sink), env: { LOG_LEVEL: 'trace' } });
  try {
    const eventId = await newEvent(logged, 1);
    const email = randomEmail('logs');
    const { challengeId } = (await http(logged.url, 'POST', '/api/auth/send-verification-code', { body: { email } })).body;
    const code = await readCode(email);
    await http(logged.url, 'POST', '/api/auth/verify-code', { body: { email, code: code === '000000' ? '111111' : '000000' } });
    const { token } = (await http(logged.url, 'POST', '/api/auth/verify-code', { body: { email, code } })).body;
    await http(logged.url, 'POST', `/api/events/${eventId}/apply`, { token });
    await http(logged.url, 'GET', `/api/events/${eventId}/status`, { token: `${token}x` });
    const all = lines.join('');
    t.true(lines.length > 0, 'the server did log');
    t.false(all.includes(code), 'no code');
    t.false(all.includes(challengeId), 'no challenge id');
    t.false(all.includes(token), 'no token');
    t.false(all.includes(token.split('.')[2]), 'no token signature');
    t.false(all.includes(email), 'no plain email');
  } finally {
    await logged.stop();
  }
});
