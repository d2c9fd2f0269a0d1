import test from 'ava';
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

test('production refuses to start without its secrets, and says which', (t) => {
  const e = t.throws(() => loadConfig({ NODE_ENV: 'production' }), { instanceOf: ConfigError });
  t.regex(e!.message, /JWT_SECRET and ADMIN_KEY/);
  t.throws(() => loadConfig({ NODE_ENV: 'production', ADMIN_KEY: 'k' }), { message: /JWT_SECRET/ });
  t.throws(() => loadConfig({ NODE_ENV: 'production', ADMIN_KEY: 'k', JWT_SECRET: 'short' }), { message: /32 bytes/ });
  const ok = loadConfig({ NODE_ENV: 'production', ADMIN_KEY: 'k', JWT_SECRET: 's'.repeat(32) });
  t.is(ok.ses.endpoint, undefined, 'production sends through AWS SES');
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
    redisSentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }, { host: 's3', port: 26381 }],
    redisMasterName: 'gifts',
  });
});
