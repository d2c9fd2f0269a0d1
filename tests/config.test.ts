import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../core/platform/config.ts';

test('every setting has a local default', (t) => {
  const c = loadConfig({});
  t.is(c.port, 3000);
  t.is(c.mysqlUrl, 'mysql://root@127.0.0.1:3306/terning');
  t.deepEqual(c.kafka.brokers, ['127.0.0.1:9092']);
  t.is(c.ses.endpoint, 'http://127.0.0.1:8005');
  t.is(c.jwt.ttlSeconds, 600);
  t.is(c.code.ttlSeconds, 300);
});

const strong = (c: string) => c.repeat(32);

test('production refuses to start without its secrets, and says which', (t) => {
  const e = t.throws(() => loadConfig({ NODE_ENV: 'production' }), { instanceOf: ConfigError });
  t.regex(e!.message, /JWT_SECRET and ADMIN_KEY/);
  t.throws(() => loadConfig({ NODE_ENV: 'production', ADMIN_KEY: strong('k') }), { message: /JWT_SECRET/ });
  t.throws(() => loadConfig({ NODE_ENV: 'production', ADMIN_KEY: strong('k'), JWT_SECRET: strong('s') }), {
    message: /needs PROOF_KEYS_FILE/,
  });
  const ok = loadConfig({
    NODE_ENV: 'production',
    ADMIN_KEY: strong('k'),
    JWT_SECRET: strong('s'),
    PROOF_KEYS_FILE: '/run/secrets/proof-keys.json',
  });
  t.is(ok.ses.endpoint, undefined, 'production sends through AWS SES');
});

test('production refuses the development secrets and short ones, however they are given', (t) => {
  const prod = (env: Record<string, string>) => () =>
    loadConfig({
      NODE_ENV: 'production',
      ADMIN_KEY: strong('k'),
      JWT_SECRET: strong('s'),
      PROOF_KEYS_FILE: '/run/secrets/proof-keys.json',
      ...env,
    });
  t.throws(prod({ ADMIN_KEY: 'terning-dev-admin-key' }), {
    instanceOf: ConfigError,
    message: /refuses ADMIN_KEY: it is the development value/,
  });
  t.throws(prod({ JWT_SECRET: 'terning-dev-secret-change-me-in-production' }), {
    message: /refuses JWT_SECRET: it is the development value/,
  });
  t.throws(prod({ ADMIN_KEY: 'k' }), { message: /ADMIN_KEY of at least 32 characters/ });
  t.throws(prod({ ADMIN_KEY: strong('k').slice(1) }), { message: /ADMIN_KEY of at least 32/ });
  t.throws(prod({ JWT_SECRET: 'short' }), { message: /JWT_SECRET of at least 32 characters/ });
  t.notThrows(prod({}));
  t.is(loadConfig({ NODE_ENV: 'development' }).adminKey, 'terning-dev-admin-key', "a developer's machine keeps its defaults");

  const dir = mkdtempSync(join(tmpdir(), 'terning-config-'));
  try {
    writeFileSync(join(dir, 'dev'), 'terning-dev-admin-key\n');
    writeFileSync(join(dir, 'good'), `${strong('f')}\n`);
    t.throws(
      prod({ ADMIN_KEY: '', ADMIN_KEY_FILE: join(dir, 'dev') }),
      { message: /refuses ADMIN_KEY/ },
      'a key from a file is held to the same rules',
    );
    t.is(
      loadConfig({
        NODE_ENV: 'production',
        ADMIN_KEY_FILE: join(dir, 'good'),
        JWT_SECRET_FILE: join(dir, 'good'),
        PROOF_KEYS_FILE: join(dir, 'good'),
      }).adminKey,
      strong('f'),
      'its final newline dropped',
    );
    t.is(
      loadConfig({ ADMIN_KEY: 'from-env', ADMIN_KEY_FILE: join(dir, 'good') }).adminKey,
      'from-env',
      'the environment wins over the file',
    );
    t.throws(() => loadConfig({ ADMIN_KEY_FILE: join(dir, 'missing') }), {
      instanceOf: ConfigError,
      message: /ADMIN_KEY_FILE: cannot read .*ENOENT/,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a malformed setting is named', (t) => {
  t.throws(() => loadConfig({ PORT: 'eighty' }), { message: /PORT/ });
  t.throws(() => loadConfig({ MYSQL_URL: 'nonsense' }), { message: /MYSQL_URL/ });
  // A URL of another service is refused by name, not found out later as an odd driver error.
  t.throws(() => loadConfig({ MYSQL_URL: 'http://127.0.0.1:3306/terning' }), { message: /MYSQL_URL.*a mysql:\/\/ URL/s });
  t.throws(() => loadConfig({ MYSQL_URL: 'postgres://127.0.0.1/terning' }), { message: /MYSQL_URL/ });
  t.throws(() => loadConfig({ REDIS_URL: 'mysql://127.0.0.1:6379' }), { message: /REDIS_URL.*a redis:\/\/ URL/s });
  t.notThrows(() => loadConfig({ MYSQL_URL: 'mysql://db/terning', REDIS_URL: 'rediss://cache:6380' }));
  t.throws(() => loadConfig({ REDIS_SENTINELS: 'a:1,b' }), { message: /REDIS_SENTINELS: expected host:port/ });
});

test('Redis through Sentinel: REDIS_SENTINELS and REDIS_MASTER_NAME', (t) => {
  t.like(loadConfig({}), { redisSentinels: [], redisMasterName: 'terning' });
  t.like(loadConfig({ REDIS_SENTINELS: 's1:26379, s2:26380,s3:26381', REDIS_MASTER_NAME: 'gifts' }), {
    redisSentinels: [
      { host: 's1', port: 26379 },
      { host: 's2', port: 26380 },
      { host: 's3', port: 26381 },
    ],
    redisMasterName: 'gifts',
  });
});
