import test from 'ava';
import { SignJWT, UnsecuredJWT } from 'jose';
import { startSystem, newEvent, randomEmail, testLog, type System } from './support/system.ts';
import { METHODS } from 'node:http';
import { http, rawHttp, type Answer } from './support/http.ts';
import { routesOf } from '../server/routes/dispatch.ts';
import { readCode } from './support/ses.ts';
import { topicSize } from './support/kafka.ts';
import { openStores } from '../core/stores.ts';
import { VerificationCodes } from '../core/use-cases/sign-in/codes.ts';
import { Mailer } from '../core/adapters/ses/mailer.ts';
import { Limits } from '../core/adapters/redis/limits.ts';

let sys: System;
test.before(async () => {
  sys = await startSystem({ consumer: false, env: { CODE_RESEND_SECONDS: '60' } });
});
test.after.always(async () => {
  await sys?.stop();
});

/** Every refusal is a 4xx in the one error shape, never a 500 and never a stack. */
function refused(t: import('ava').ExecutionContext, a: Answer, status: number, code: string) {
  t.is(a.status, status, JSON.stringify(a.body));
  t.is(a.body?.error?.code, code);
  t.is(typeof a.body?.error?.message, 'string');
  t.false(JSON.stringify(a.body).includes('at '), 'no stack trace');
}

const admin = () => ({ adminKey: sys.config.adminKey });
const key = (s: string) => new TextEncoder().encode(s);

test('send-verification-code refuses malformed, mistyped, unknown, oversized and poisoned bodies', async (t) => {
  const post = (opts: Parameters<typeof http>[3]) => http(sys.url, 'POST', '/api/auth/send-verification-code', opts);
  refused(t, await post({ raw: '{"email": ', headers: { 'Content-Type': 'application/json' } }), 400, 'MALFORMED_JSON');
  refused(
    t,
    await post({ raw: 'email=a@b.c', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  );
  refused(t, await post({ raw: '{"email":"a@b.co"}', headers: { 'Content-Type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  refused(t, await post({}), 400, 'VALIDATION_FAILED');
  refused(t, await post({ body: { email: 5 } }), 400, 'VALIDATION_FAILED');
  refused(t, await post({ body: { email: 'not-an-email' } }), 400, 'VALIDATION_FAILED');
  refused(t, await post({ body: { email: randomEmail(), admin: true } }), 400, 'VALIDATION_FAILED');
  refused(t, await post({ body: [randomEmail()] }), 400, 'VALIDATION_FAILED');
  refused(t, await post({ body: null }), 400, 'VALIDATION_FAILED');
  refused(t, await post({ body: { email: `${'a'.repeat(250)}@example.test` } }), 400, 'VALIDATION_FAILED');
  refused(t, await post({ body: { email: randomEmail(), pad: 'x'.repeat(8_000) } }), 413, 'BODY_TOO_LARGE');
  refused(
    t,
    await post({ raw: `{"email":"${randomEmail()}","__proto__":{"admin":true}}`, headers: { 'Content-Type': 'application/json' } }),
    400,
    'FORBIDDEN_KEY',
  );
  refused(
    t,
    await post({
      raw: `{"email":"${randomEmail()}","constructor":{"prototype":{"admin":true}}}`,
      headers: { 'Content-Type': 'application/json' },
    }),
    400,
    'FORBIDDEN_KEY',
  );
  const v = await post({ body: { email: 'bad' } });
  t.deepEqual(
    v.body.error.details.issues.map((i: { path: string }) => i.path),
    ['email'],
    'the error names the field',
  );
});

test('a second code within the cooldown is refused with 429 and Retry-After', async (t) => {
  const email = randomEmail('cool');
  t.is((await http(sys.url, 'POST', '/api/auth/send-verification-code', { body: { email } })).status, 200);
  const again = await http(sys.url, 'POST', '/api/auth/send-verification-code', { body: { email } });
  refused(t, again, 429, 'CODE_RECENTLY_SENT');
  t.truthy(Number(again.headers.get('retry-after')) > 0);
  const code = await readCode(email);
  t.is((await http(sys.url, 'POST', '/api/auth/verify-code', { body: { email, code } })).status, 200, 'the first code still works');
});

test("verify-code: a wrong code counts down the sign-in's tries, then no code works for it; malformed input changes nothing", async (t) => {
  const email = randomEmail('brute');
  const { challengeId } = (await http(sys.url, 'POST', '/api/auth/send-verification-code', { body: { email } })).body;
  const code = await readCode(email);
  const wrong = code === '000000' ? '111111' : '000000';
  const verify = (c: unknown, id: unknown = challengeId) =>
    http(sys.url, 'POST', '/api/auth/verify-code', { body: { email, code: c, challengeId: id } });
  refused(t, await verify('12345'), 400, 'VALIDATION_FAILED');
  refused(t, await verify(123456), 400, 'VALIDATION_FAILED');
  refused(t, await verify('12345a'), 400, 'VALIDATION_FAILED');
  for (const id of ['', 'short', 'x'.repeat(23), `${'a'.repeat(21)}=`, 42, null])
    refused(t, await verify(code, id), 400, 'VALIDATION_FAILED');
  refused(t, await verify(code, 'A'.repeat(22)), 401, 'CODE_INVALID');
  for (let left = 2; left >= 0; left--) {
    const a = await verify(wrong);
    refused(t, a, 401, 'CODE_INVALID');
    t.is(a.body.error.details.attemptsLeft, left);
  }
  const spent = await verify(code);
  refused(t, spent, 401, 'CODE_INVALID');
  t.is(spent.body.error.details.attemptsLeft, 0, 'out of tries: even the right code');
});

test('a code expires after its lifetime', async (t) => {
  const stores = openStores(sys.config);
  const mailer = new Mailer(sys.config.ses);
  try {
    const limits = new Limits(stores.redis, sys.config.redisPrefix, sys.config.limits);
    const codes = new VerificationCodes(
      stores.scripts,
      mailer,
      { ttlSeconds: 1, maxAttempts: 5, maxAttemptsWithoutChallenge: 3, resendSeconds: 0, secret: 'x'.repeat(32) },
      limits,
      sys.config.limits,
      testLog(),
    );
    const email = randomEmail('ttl');
    const { challengeId } = await codes.send(email, '127.0.0.9');
    const code = await readCode(email);
    await new Promise((r) => setTimeout(r, 1_300));
    const err = await t.throwsAsync(codes.verify(email, code, '127.0.0.9', challengeId));
    t.is((err as { code?: string }).code, 'CODE_INVALID');
    t.deepEqual((err as { details?: unknown }).details, { attemptsLeft: 0 });
  } finally {
    mailer.close();
    await stores.close();
  }
});

test('participant calls refuse missing, malformed, forged, expired and wrongly signed tokens', async (t) => {
  const eventId = await newEvent(sys, 5);
  const path = `/api/events/${eventId}/apply`;
  const email = randomEmail('tok');
  const { issuer, audience, secret } = sys.config.jwt;
  const sign = (alg: string, k: string, claims: { exp?: number; aud?: string; iss?: string } = {}) => {
    const jwt = new SignJWT({})
      .setProtectedHeader({ alg })
      .setSubject(email)
      .setIssuer(claims.iss ?? issuer)
      .setAudience(claims.aud ?? audience)
      .setIssuedAt();
    if (claims.exp !== -1) jwt.setExpirationTime(claims.exp ?? '10m');
    return jwt.sign(key(k));
  };
  const before = await topicSize(sys.config);
  refused(t, await http(sys.url, 'POST', path), 401, 'TOKEN_MISSING');
  refused(t, await http(sys.url, 'POST', path, { headers: { Authorization: 'Basic abc' } }), 401, 'TOKEN_INVALID');
  refused(t, await http(sys.url, 'POST', path, { token: 'not.a.jwt' }), 401, 'TOKEN_INVALID');
  refused(t, await http(sys.url, 'POST', path, { token: await sign('HS256', 'another-secret-another-secret-123') }), 401, 'TOKEN_INVALID');
  refused(t, await http(sys.url, 'POST', path, { token: await sign('HS512', secret) }), 401, 'TOKEN_INVALID');
  refused(
    t,
    await http(sys.url, 'POST', path, {
      token: new UnsecuredJWT({ sub: email, iss: issuer, aud: audience }).setExpirationTime('10m').encode(),
    }),
    401,
    'TOKEN_INVALID',
  );
  refused(
    t,
    await http(sys.url, 'POST', path, { token: await sign('HS256', secret, { exp: Math.floor(Date.now() / 1000) - 5 }) }),
    401,
    'TOKEN_EXPIRED',
  );
  refused(t, await http(sys.url, 'POST', path, { token: await sign('HS256', secret, { exp: -1 }) }), 401, 'TOKEN_INVALID');
  refused(t, await http(sys.url, 'POST', path, { token: await sign('HS256', secret, { aud: 'someone-else' }) }), 401, 'TOKEN_INVALID');
  refused(t, await http(sys.url, 'POST', path, { token: await sign('HS256', secret, { iss: 'someone-else' }) }), 401, 'TOKEN_INVALID');
  refused(t, await http(sys.url, 'GET', `/api/events/${eventId}/status`, { token: 'x' }), 401, 'TOKEN_INVALID');
  const minted = (sub: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key(secret));
  refused(t, await http(sys.url, 'POST', path, { token: await minted(email.toUpperCase()) }), 401, 'TOKEN_INVALID');
  refused(t, await http(sys.url, 'POST', path, { token: await minted(` ${email}`) }), 401, 'TOKEN_INVALID');
  refused(t, await http(sys.url, 'POST', path, { token: await minted('not-an-email') }), 401, 'TOKEN_INVALID');
  t.is(await topicSize(sys.config), before, 'nothing reached Kafka');
  t.is((await http(sys.url, 'GET', `/api/admin/events/${eventId}`, admin())).body.applied, 0, 'nobody was registered');
});

test('apply refuses a body, an unknown event and a malformed event id', async (t) => {
  const token = await sys.tokens.issue(randomEmail('apply'));
  const eventId = await newEvent(sys, 5);
  refused(t, await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token, body: { ticket: 1 } }), 400, 'VALIDATION_FAILED');
  refused(t, await http(sys.url, 'POST', '/api/events/no-such-event/apply', { token }), 404, 'EVENT_NOT_FOUND');
  refused(t, await http(sys.url, 'POST', '/api/events/Bad_Id!/apply', { token }), 400, 'VALIDATION_FAILED');
  refused(t, await http(sys.url, 'GET', '/api/events/no-such-event/status', { token }), 404, 'NOT_APPLIED');
  t.is((await http(sys.url, 'GET', `/api/admin/events/${eventId}`, admin())).body.applied, 0);
});

test('admin calls refuse a missing or wrong key and bad values, and change nothing', async (t) => {
  const eventId = await newEvent(sys, 7);
  const path = `/api/admin/events/${eventId}`;
  const snapshot = async () => (await http(sys.url, 'GET', path, admin())).body;
  const before = await snapshot();
  refused(t, await http(sys.url, 'POST', `${path}/stock`, { body: { count: 1 } }), 401, 'ADMIN_KEY_INVALID');
  refused(t, await http(sys.url, 'POST', `${path}/stock`, { body: { count: 1 }, adminKey: 'wrong' }), 401, 'ADMIN_KEY_INVALID');
  refused(t, await http(sys.url, 'POST', `${path}/open`, { adminKey: `${sys.config.adminKey}x` }), 401, 'ADMIN_KEY_INVALID');
  refused(t, await http(sys.url, 'GET', path), 401, 'ADMIN_KEY_INVALID');
  for (const body of [{ count: -1 }, { count: 1.5 }, { count: '10' }, {}, { count: 1, extra: 1 }, { count: 1e12 }, { count: null }]) {
    refused(t, await http(sys.url, 'POST', `${path}/stock`, { ...admin(), body }), 400, 'VALIDATION_FAILED');
  }
  refused(t, await http(sys.url, 'POST', `${path}/open`, { ...admin(), body: { at: 'tomorrow' } }), 400, 'VALIDATION_FAILED');
  refused(
    t,
    await http(sys.url, 'POST', `${path}/open`, { ...admin(), body: { at: '9999-12-31T23:59:59-01:00' } }),
    400,
    'VALIDATION_FAILED',
  );
  refused(t, await http(sys.url, 'POST', `${path}/close`, { ...admin(), body: { when: 'now' } }), 400, 'VALIDATION_FAILED');
  refused(
    t,
    await http(sys.url, 'POST', '/api/admin/events/no-such-event/stock', { ...admin(), body: { count: 3 } }),
    404,
    'EVENT_NOT_FOUND',
  );
  refused(
    t,
    await http(sys.url, 'POST', '/api/admin/events', { ...admin(), body: { id: 'Not Valid', name: 'x' } }),
    400,
    'VALIDATION_FAILED',
  );
  refused(t, await http(sys.url, 'POST', '/api/admin/events', { ...admin(), body: { id: eventId, name: 'again' } }), 409, 'EVENT_EXISTS');
  t.deepEqual(await snapshot(), before, 'the event is as it was');
});

test('unknown paths and wrong methods answer in the error shape', async (t) => {
  refused(t, await http(sys.url, 'GET', '/api/nothing-here'), 404, 'NOT_FOUND');
  refused(t, await http(sys.url, 'GET', '/api/event/apply'), 405, 'METHOD_NOT_ALLOWED');
  refused(t, await http(sys.url, 'DELETE', '/api/auth/verify-code'), 405, 'METHOD_NOT_ALLOWED');
});

test('every other method on every path the app serves is 405 with Allow, on unknown paths 404, never a 5xx', async (t) => {
  const routes = routesOf(sys.api.apps[0]!.app).map((r) => ({ ...r, path: r.path.replace(/:\w+/g, 'x') }));
  const known = new Set(routes.map((r) => r.path));
  const wrong: string[] = [];
  for (const path of [...known, '/api/nothing-here', '/nothing', '/api/admin/nothing']) {
    const served = routes.filter((r) => r.path === path).flatMap((r) => r.methods);
    // FOO and BREW are methods Node's parser doesn't know: it refuses them before the app, in the shape too.
    await Promise.all(
      [...METHODS, 'FOO', 'BREW']
        .filter((m) => !served.includes(m))
        .map(async (method) => {
          const a = await rawHttp(sys.url, method, path);
          const [status, code] = ['FOO', 'BREW'].includes(method)
            ? [400, 'BAD_REQUEST']
            : method === 'CONNECT'
              ? [405, 'METHOD_NOT_ALLOWED']
              : !known.has(path)
                ? [404, 'NOT_FOUND']
                : [405, 'METHOD_NOT_ALLOWED'];
          let body: { error?: { code?: unknown; message?: unknown } } | undefined;
          try {
            body = a.text ? JSON.parse(a.text) : undefined;
          } catch {
            /* not JSON: reported below */
          }
          const shapeOk = method === 'HEAD' || (body?.error?.code === code && typeof body.error.message === 'string');
          const withAllow = known.has(path) && !['FOO', 'BREW', 'CONNECT'].includes(method);
          const allowOk = !withAllow || served.every((m) => String(a.headers.allow).split(', ').includes(m));
          if (a.status !== status || !shapeOk || !allowOk)
            wrong.push(`${method} ${path}: ${a.status} allow=${a.headers.allow} ${a.text.slice(0, 100)}`);
        }),
    );
  }
  t.deepEqual(wrong, []);
});

test('a draft event is hidden from participants as if it did not exist; scheduled, open and closed ones are shown', async (t) => {
  const eventId = await newEvent(sys, 5, false);
  const draft = await http(sys.url, 'GET', `/api/events/${eventId}`);
  refused(t, draft, 404, 'EVENT_NOT_FOUND');
  const unknown = await http(sys.url, 'GET', '/api/events/no-such-event');
  refused(t, unknown, 404, 'EVENT_NOT_FOUND');
  t.is(
    draft.body.error.message.replace(eventId, '<id>'),
    unknown.body.error.message.replace('no-such-event', '<id>'),
    'the answer an unknown event gets',
  );
  refused(t, await http(sys.url, 'GET', '/api/event'), 404, 'EVENT_NOT_FOUND');
  // Applying with a valid token tells no more than asking does.
  const token = await sys.tokens.issue(randomEmail('draft'));
  const applied = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token });
  refused(t, applied, 404, 'EVENT_NOT_FOUND');
  t.is(applied.body.error.message.replace(eventId, '<id>'), unknown.body.error.message.replace('no-such-event', '<id>'));

  const shown = async () => (await http(sys.url, 'GET', `/api/events/${eventId}`)).body.state;
  await http(sys.url, 'POST', `/api/admin/events/${eventId}/open`, {
    ...admin(),
    body: { at: new Date(Date.now() + 3_600_000).toISOString() },
  });
  t.is(await shown(), 'scheduled');
  await http(sys.url, 'POST', `/api/admin/events/${eventId}/open`, admin());
  t.is(await shown(), 'open');
  await http(sys.url, 'POST', `/api/admin/events/${eventId}/close`, admin());
  t.is(await shown(), 'closed');
});
