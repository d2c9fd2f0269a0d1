import test from 'ava';
import fc from 'fast-check';
import { METHODS } from 'node:http';
import { startSystem, newEvent, randomEmail, type System } from './support/system.ts';
import { rawHttp, type RawAnswer } from './support/http.ts';
import { spellings } from './support/spellings.ts';

let sys: System;
let eventId: string;
let token: string;
test.before(async () => {
  sys = await startSystem({ consumer: false, env: { TRUST_PROXY: 'true' } });
  eventId = await newEvent(sys, 1_000);
  token = await sys.tokens.issue(randomEmail('fuzz'));
});
test.after.always(async () => {
  await sys?.stop();
});

const ENDPOINTS: [string, string][] = [
  ['POST', '/api/auth/send-verification-code'],
  ['POST', '/api/auth/verify-code'],
  ['POST', '/api/event/apply'],
  ['GET', '/api/event/status'],
  ['GET', '/api/event'],
  ['POST', '/api/events/{id}/apply'],
  ['GET', '/api/events/{id}/status'],
  ['POST', '/api/admin/event/stock'],
  ['POST', '/api/admin/event/open'],
  ['POST', '/api/admin/event/close'],
  ['GET', '/api/admin/event'],
  ['POST', '/api/admin/events'],
  ['POST', '/api/admin/events/{id}/stock'],
  ['GET', '/api/admin/dlq'],
  ['POST', '/api/admin/dlq/replay'],
  ['GET', '/api/admin/audit'],
  ['GET', '/api/event/status/stream'],
  ['GET', '/api/events/{id}/status/stream'],
];

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    '../../etc/passwd',
    '%00',
    '\u0000',
    'a@b',
    ' A@B.CO ',
    "' OR 1=1 --",
    '<script>',
    '9'.repeat(400),
    'NaN',
    '-1',
    '1e309',
  ),
  fc.emailAddress(),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    hostileString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(hostileString, fc.constantFrom('email', 'code', 'count', 'at', 'id', 'name', 'totalStock', '__proto__')),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

const body = fc.oneof(
  fc.constant(undefined),
  json.map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{',
    '{"email":',
    '[]',
    'null',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '\uFEFF{}',
    'x'.repeat(6000),
  ),
  fc.record({ email: hostileString, code: hostileString }).map((v) => JSON.stringify(v)),
  fc.record({ count: fc.oneof(fc.integer(), fc.double(), hostileString) }).map((v) => JSON.stringify(v)),
);
const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
    ),
    weight: 1,
  },
);
const auth = fc.oneof(
  fc.constant(undefined),
  fc.constant('valid'),
  fc.constant('Bearer '),
  hostileString.map((s) => `Bearer ${s}`),
  fc.constant('Bearer a.b.c'),
  fc.constant('Basic YTpi'),
);
const adminKey = fc.constantFrom(undefined, 'valid', '', 'wrong', 'x'.repeat(300));
const pathId = fc.oneof(
  fc.constant('{event}'),
  hostileString.map((s) => encodeURIComponent(s)),
);

// The endpoint's own method mostly; else any method Node knows, or one it doesn't.
const method = fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: fc.constantFrom(...METHODS, 'FOO'), weight: 2 });
// The path as written mostly; else another spelling of it (case, slashes, dot segments, encodings, `;`).
const spelling = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.nat(), weight: 2 });

const request = fc.record({
  endpoint: fc.constantFrom(...ENDPOINTS),
  method,
  spelling,
  id: pathId,
  body,
  contentType,
  auth,
  adminKey,
  ip: fc.integer({ min: 1, max: 250 }),
});

test('thousands of malformed and hostile requests: no 5xx, and every error in the one shape', async (t) => {
  const seen = new Map<number, number>();
  const failures: string[] = [];
  const fail = (why: string) => {
    failures.push(why);
    throw new Error(why);
  };
  const run = fc.assert(
    fc.asyncProperty(fc.array(request, { minLength: 25, maxLength: 25 }), async (batch) => {
      await Promise.all(
        batch.map(async (r) => {
          const [defaultMethod, template] = r.endpoint;
          const written = template.replace('{id}', r.id === '{event}' ? eventId : r.id || 'x');
          const spelled = spellings(written, '');
          const path = spelled[r.spelling % spelled.length]!;
          const headers: Record<string, string> = { 'X-Forwarded-For': `203.0.113.${r.ip}` };
          if (r.contentType) headers['Content-Type'] = r.contentType;
          if (r.auth) headers.Authorization = r.auth === 'valid' ? `Bearer ${token}` : r.auth;
          if (r.adminKey !== undefined) headers['X-ADMIN-KEY'] = r.adminKey === 'valid' ? 'wrong-on-purpose' : r.adminKey;
          const method = r.method ?? defaultMethod;
          let res: RawAnswer;
          try {
            res = await rawHttp(sys.url, method, path, {
              headers,
              body: method === 'GET' || method === 'HEAD' || method === 'DELETE' ? undefined : r.body,
            });
          } catch (e) {
            // A header no HTTP client may send (a control character) never reaches the server.
            if (/ERR_INVALID_CHAR|ERR_INVALID_HTTP_TOKEN/.test(String((e as { code?: unknown }).code))) return;
            throw e;
          }
          const text = res.text;
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          if (res.status === 0) fail(`${method} ${path} got no answer`);
          // No admin key here is ever right: no admin call may succeed, however its path is spelled.
          if (template.startsWith('/api/admin') && res.status < 400)
            fail(`${method} ${path} answered ${res.status} without the admin key: ${text.slice(0, 200)}`);
          if (res.status >= 500)
            fail(`${method} ${path} ${JSON.stringify(headers)} ${JSON.stringify(r.body)?.slice(0, 200)} answered ${res.status}: ${text}`);
          if (res.status >= 400 && method !== 'HEAD') {
            let parsed: { error?: { code?: unknown; message?: unknown } } = {};
            try {
              parsed = JSON.parse(text);
            } catch {
              fail(`${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
            }
            if (typeof parsed.error?.code !== 'string' || typeof parsed.error?.message !== 'string')
              fail(`${method} ${path} answered ${res.status} outside the error shape: ${text}`);
            if (/\bat .*\.ts:\d+/.test(text)) fail(`a stack trace leaked: ${text}`);
          }
        }),
      );
    }),
    { numRuns: 120, endOnFailure: true, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
  );
  await run.catch((e) => {
    throw new Error(`${failures[0] ?? ''}\n${(e as Error).message}`);
  });
  const total = [...seen.values()].reduce((a, b) => a + b, 0);
  t.true(total >= 2_500, `sent ${total} requests`);
  t.log(
    `statuses: ${[...seen]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}`,
  );
  t.false([...seen.keys()].some((s) => s >= 500));
});
