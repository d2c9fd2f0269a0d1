import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { resolveSettings, DEFAULT_CONFIG_FILE } from '../cli/settings.ts';
import { UserError, EXIT } from '../cli/errors.ts';
import { startSystem, newEvent, type System } from './support/system.ts';
import { terning, terningJson } from './support/cli.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'terning-config-'));
const file = (d: string, content: unknown, name = 'ops.json') => {
  const path = join(d, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

const full = {
  url: 'http://file.example:4000',
  adminKey: 'file-key',
  actor: 'file-actor',
  mysqlUrl: 'mysql://file@db.example:3306/terning',
  redisUrl: 'redis://redis.example:6379',
  redisSentinels: ['s1.example:26379', 's2.example:26379', 's3.example:26379'],
  redisMasterName: 'file-primary',
  kafkaBrokers: ['k1.example:9092', 'k2.example:9092'],
  kafkaTopic: 'file.applications',
  kafkaDlqTopic: 'file.dlq',
  kafkaGroupId: 'file-group',
};

test('with nothing set, the local defaults', (t) => {
  const s = resolveSettings({}, {}, dir());
  t.is(s.url, 'http://127.0.0.1:3000');
  t.is(s.adminKey, 'terning-dev-admin-key');
  t.is(s.mysqlUrl, 'mysql://root@127.0.0.1:3306/terning');
  t.is(s.redisUrl, 'redis://127.0.0.1:6379');
  t.deepEqual(s.redisSentinels, [], 'Redis at the URL, no Sentinels');
  t.deepEqual(s.kafka.brokers, ['127.0.0.1:9092']);
  t.is(s.actor, userInfo().username, 'the actor defaults to the OS user name');
  t.is(s.file, undefined);
});

test('the config file fills every setting', (t) => {
  const d = dir();
  const s = resolveSettings({ config: file(d, full) }, {}, d);
  t.is(s.url, full.url);
  t.is(s.adminKey, full.adminKey);
  t.is(s.actor, full.actor);
  t.is(s.mysqlUrl, full.mysqlUrl);
  t.is(s.redisUrl, full.redisUrl);
  t.deepEqual(s.redisSentinels, [
    { host: 's1.example', port: 26379 },
    { host: 's2.example', port: 26379 },
    { host: 's3.example', port: 26379 },
  ]);
  t.is(s.redisMasterName, 'file-primary');
  t.deepEqual(s.kafka.brokers, full.kafkaBrokers);
  t.like(s.kafka, { applicationsTopic: 'file.applications', deadLetterTopic: 'file.dlq', groupId: 'file-group' });
  t.is(s.file, join(d, 'ops.json'));
});

test('precedence: flags over the environment over the file over the defaults', (t) => {
  const d = dir();
  const path = file(d, full);
  const env = {
    TERNING_URL: 'http://env.example:5000',
    ADMIN_KEY: 'env-key',
    REDIS_URL: 'redis://env.example:6379',
    KAFKA_BROKERS: 'env.example:9092',
  };
  const s = resolveSettings({ config: path, url: 'http://flag.example:6000', kafkaBrokers: 'flag.example:9092' }, env, d);
  t.is(s.url, 'http://flag.example:6000', 'flag over env and file');
  t.deepEqual(s.kafka.brokers, ['flag.example:9092'], 'flag over env and file');
  t.is(s.adminKey, 'env-key', 'env over file');
  t.is(s.redisUrl, 'redis://env.example:6379', 'env over file');
  t.is(s.mysqlUrl, full.mysqlUrl, 'file over the default');
  t.is(resolveSettings({ config: path, adminKey: 'flag-key' }, env, d).adminKey, 'flag-key');
  t.is(resolveSettings({ config: path, actor: 'flag-actor' }, { TERNING_ACTOR: 'env-actor' }, d).actor, 'flag-actor');
  t.is(resolveSettings({ config: path }, { TERNING_ACTOR: 'env-actor' }, d).actor, 'env-actor');
});

test('the file is found through TERNING_CONFIG, else ./terning.config.json; --config wins over both', (t) => {
  const d = dir();
  file(d, { url: 'http://local-file.example:1' }, DEFAULT_CONFIG_FILE);
  const named = file(d, { url: 'http://named-file.example:2' }, 'named.json');
  const flagged = file(d, { url: 'http://flag-file.example:3' }, 'flag.json');
  t.is(resolveSettings({}, {}, d).url, 'http://local-file.example:1');
  t.is(resolveSettings({}, { TERNING_CONFIG: named }, d).url, 'http://named-file.example:2');
  t.is(resolveSettings({}, { TERNING_CONFIG: 'named.json' }, d).url, 'http://named-file.example:2', 'relative to the working directory');
  t.is(resolveSettings({ config: flagged }, { TERNING_CONFIG: named }, d).url, 'http://flag-file.example:3');
});

test('bad config: each a usage error (exit 2) that names the file and the problem', (t) => {
  const d = dir();
  const bad = (flags: Parameters<typeof resolveSettings>[0], env: NodeJS.ProcessEnv = {}) => {
    const e = t.throws(() => resolveSettings(flags, env, d), { instanceOf: UserError });
    t.is(e!.exitCode, EXIT.usage);
    return e!.message;
  };
  t.regex(bad({ config: join(d, 'missing.json') }), /cannot read the config file .*missing\.json: ENOENT/);
  t.regex(bad({}, { TERNING_CONFIG: join(d, 'absent.json') }), /absent\.json: ENOENT/, 'a named file must exist');
  t.regex(bad({ config: file(d, '{"url": ') }), /is not JSON/);
  t.regex(bad({ config: file(d, '[1, 2]') }), /has \(file\): /);
  t.regex(bad({ config: file(d, { url: 'http://x:1', adminkey: 'typo' }) }), /Unrecognized key.*adminkey/);
  t.regex(bad({ config: file(d, { url: 'not a url' }) }), /url: /);
  t.regex(bad({ config: file(d, { kafkaBrokers: [] }) }), /kafkaBrokers/);
  t.regex(bad({ config: file(d, { mysqlUrl: 42 }) }), /mysqlUrl/);
  t.regex(bad({ url: 'ftp://example.com' }), /not an http\(s\) URL/);
  t.regex(bad({ url: 'nonsense' }), /not an http\(s\) URL/);
  t.regex(bad({ mysqlUrl: 'nonsense' }), /MYSQL_URL/);
  t.regex(bad({ actor: 'has space' }), /actor "has space" is not a valid name/);
  t.regex(bad({ actor: 'x'.repeat(65) }), /not a valid name/);
  t.regex(bad({}, { TERNING_ACTOR: 'evil\nline' }), /not a valid name/);
});

let sys: System;
test.before(async () => {
  sys = await startSystem({ consumer: false });
});
test.after.always(async () => {
  await sys?.stop();
});

test.serial('a command reaches the server named in the config file', async (t) => {
  const d = dir();
  const eventId = await newEvent(sys, 7, false);
  const path = file(d, { url: sys.url, adminKey: sys.config.adminKey });
  t.is((await terningJson('stock', 'show', '--event', eventId, '--config', path)).totalStock, 7);
  const wrongKey = file(d, { url: sys.url, adminKey: 'wrong' }, 'wrong.json');
  const refused = await t.throwsAsync(terning('stock', 'show', '--event', eventId, '--config', wrongKey), { instanceOf: UserError });
  t.is(refused!.exitCode, EXIT.rejected);
  t.is(
    (await terningJson('stock', 'show', '--event', eventId, '--config', wrongKey, '--admin-key', sys.config.adminKey)).totalStock,
    7,
    'the flag wins',
  );
  const broken = await t.throwsAsync(terning('stock', 'show', '--config', file(d, '{'), '--event', eventId), { instanceOf: UserError });
  t.is(broken!.exitCode, EXIT.usage);
});

test('every operator command has help with examples', async (t) => {
  const { buildProgram } = await import('../cli/main.ts');
  const commands = [
    ['event', 'create'],
    ['event', 'list'],
    ['event', 'show'],
    ['event', 'open'],
    ['event', 'close'],
    ['stock', 'set'],
    ['stock', 'show'],
    ['watch'],
    ['dlq', 'list'],
    ['dlq', 'replay'],
    ['export', 'winners'],
    ['audit'],
  ];
  for (const path of commands) {
    let out = '';
    const program = buildProgram();
    const quiet = (c: typeof program) => {
      c.exitOverride().configureOutput({
        writeOut: (s) => {
          out += s;
        },
        writeErr: () => {},
      });
      c.commands.forEach(quiet);
    };
    quiet(program);
    const e = await t.throwsAsync(program.parseAsync(['node', 'terning', ...path, '--help']));
    t.is((e as { exitCode?: number }).exitCode, 0, path.join(' '));
    t.regex(out, /Examples:\n {2}terning /, path.join(' '));
    t.regex(out, /--config <file>/, `${path.join(' ')} takes a config file`);
  }
});

test('event create --stock must be a whole number', async (t) => {
  for (const v of ['ten', '-1', '1.5']) {
    const e = await t.throwsAsync(terning('event', 'create', 'x-event', '--name', 'x', '--stock', v, '--url', 'http://127.0.0.1:9'));
    t.regex(e!.message, /the stock is a whole number/, v);
  }
});

test("the CLI checks an event id, a stock and a time by the API's own rules, before anything is sent", async (t) => {
  // Port 9 answers nothing: a check that let the value through would fail there, with another message.
  const away = ['--url', 'http://127.0.0.1:9', '--admin-key', 'k'];
  const refused = async (args: string[], message: RegExp) => {
    const e = await t.throwsAsync(terning(...args, ...away));
    t.is((e as { code?: string }).code, 'commander.invalidArgument', args.join(' '));
    t.regex(e!.message, message, args.join(' '));
  };
  for (const id of ['Spring', 'a_b', '-x', 'a'.repeat(65), 'é', 'a/b']) {
    await refused(['event', 'show', '--event', id], /an event id is lower-case letters, digits and dashes/);
    // A leading dash reads as an option there: commander refuses it before the rule is asked.
    if (!id.startsWith('-')) await refused(['event', 'create', id, '--name', 'x'], /an event id is lower-case letters, digits and dashes/);
    await refused(['stock', 'set', '5', '--event', id], /an event id is lower-case letters, digits and dashes/);
  }
  await refused(['export', 'winners', '--event', 'UPPER'], /an event id is/);
  await refused(['stock', 'set', '10000001'], /the stock is a whole number from 0 to 10000000/);
  await refused(['event', 'create', 'x-event', '--name', 'x', '--stock', '10000001'], /the stock is a whole number from 0 to 10000000/);
  await refused(['event', 'open', '--at', '1999-12-31T23:00:00Z'], /a time between the years 2000 and 9998/);
  await refused(['event', 'open', '--at', 'tomorrow'], /give a time like/);
});
