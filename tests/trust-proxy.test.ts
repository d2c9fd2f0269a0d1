import test from 'ava';
import { startSystem, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { loadConfig, ConfigError } from '../core/platform/config.ts';

// The admin failures per client address are what this reads the client address by: the third
// failure from one address meets 429 TOO_MANY_ADMIN_FAILURES.
const env = { LIMIT_ADMIN_FAILURES_PER_IP_PER_15_MINUTES: '2' };
let behindTwo: System;
let behindOne: System;
test.before(async () => {
  [behindTwo, behindOne] = await Promise.all([
    startSystem({ consumer: false, env: { ...env, TRUST_PROXY: '2' } }),
    startSystem({ consumer: false, env: { ...env, TRUST_PROXY: 'true' } }),
  ]);
});
test.after.always(async () => {
  await Promise.all([behindTwo?.stop(), behindOne?.stop()]);
});

let n = 0;
const fresh = () => `198.51.100.${++n}`;
const guess = (sys: System, forwardedFor: string) =>
  http(sys.url, 'GET', '/api/admin/events', { adminKey: 'not-the-key', headers: { 'X-Forwarded-For': forwardedFor } }).then(
    (r) => r.body.error.code,
  );

test('behind two proxies the client is the second entry from the right, whatever the client wrote to its left', async (t) => {
  const client = fresh();
  // The client writes what it likes; the first proxy appends the client, the second the first proxy.
  const codes = [];
  for (let i = 0; i < 3; i++) codes.push(await guess(behindTwo, `${fresh()}, ${fresh()}, ${client}, 10.0.0.${i}`));
  t.deepEqual(codes, ['ADMIN_KEY_INVALID', 'ADMIN_KEY_INVALID', 'TOO_MANY_ADMIN_FAILURES']);
  // Another client behind the same proxies is counted apart.
  t.is(await guess(behindTwo, `${client}, ${fresh()}, 10.0.0.1`), 'ADMIN_KEY_INVALID');
});

test('behind one proxy (TRUST_PROXY=true is 1) the client is the right-most entry', async (t) => {
  const client = fresh();
  const codes = [];
  for (let i = 0; i < 3; i++) codes.push(await guess(behindOne, `${fresh()}, ${client}`));
  t.deepEqual(codes, ['ADMIN_KEY_INVALID', 'ADMIN_KEY_INVALID', 'TOO_MANY_ADMIN_FAILURES']);
});

test('TRUST_PROXY is a count', (t) => {
  t.is(loadConfig({}).trustProxy, 0);
  t.is(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, 0);
  t.is(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, 1);
  t.is(loadConfig({ TRUST_PROXY: '3' }).trustProxy, 3);
  t.throws(() => loadConfig({ TRUST_PROXY: 'yes' }), { instanceOf: ConfigError, message: /TRUST_PROXY: a count of proxies/ });
  t.throws(() => loadConfig({ TRUST_PROXY: '-1' }), { instanceOf: ConfigError });
});
