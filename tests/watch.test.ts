import test from 'ava';
import { freePort } from '../infra/net.ts';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { REDIS_SERVER } from '../infra/index.ts';
import { requireTools } from '../infra/tools.ts';
import { TMUX } from './support/tools.ts';
import { startSystem, newEvent, randomEmail, rand, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { terning, terningJson } from './support/cli.ts';
import { UserError, EXIT } from '../cli/errors.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const socket = `terning-watch-${rand()}`;
let tools: Record<string, string>;
let sys: System;
let redis: ChildProcess | undefined;
let apiStopped = false;

const tmux = (...args: string[]) => run(tools.tmux!, ['-L', socket, ...args]).then((r) => r.stdout);
const screen = () => tmux('capture-pane', '-p', '-t', 'watch');
const press = (key: string) => tmux('send-keys', '-t', 'watch', key);

/** Waits (with a deadline) until what a person sees on the terminal matches every pattern. */
async function shows(...patterns: RegExp[]): Promise<string> {
  let last = '';
  try {
    return await until(
      `the screen to show ${patterns.join(' and ')}`,
      async () => {
        last = await screen();
        return patterns.every((p) => p.test(last)) ? last : undefined;
      },
      30_000,
      200,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\nthe screen:\n${last}`, { cause: e });
  }
}

test.before(async () => {
  tools = await requireTools('the watch test', [TMUX, REDIS_SERVER], () => {});
  sys = await startSystem();
});

test.after.always(async () => {
  await run(tools?.tmux ?? 'tmux', ['-L', socket, 'kill-server']).catch(() => {});
  redis?.kill('SIGKILL');
  await sys?.consumer?.stop();
  if (!apiStopped) await sys?.api.stop();
});

const baseArgs = () => [
  '--url',
  sys.url,
  '--admin-key',
  sys.config.adminKey,
  '--mysql-url',
  sys.config.mysqlUrl,
  '--redis-url',
  sys.config.redisUrl,
  '--kafka-brokers',
  sys.config.kafka.brokers.join(','),
];

test.serial('watch --json: one reading of every source; a dead one is named while the others answer', async (t) => {
  const eventId = await newEvent(sys, 4);
  // The topics and group come from a config file, as an operator's would.
  const config = join(mkdtempSync(join(tmpdir(), 'terning-watch-')), 'terning.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      kafkaTopic: sys.config.kafka.applicationsTopic,
      kafkaDlqTopic: sys.config.kafka.deadLetterTopic,
      kafkaGroupId: sys.config.kafka.groupId,
    }),
  );
  const watchArgs = () => [...baseArgs(), '--config', config];
  const live = await terningJson('watch', '--event', eventId, ...watchArgs());
  t.like(live, {
    eventId,
    api: { error: null },
    event: { error: null, value: { id: eventId, totalStock: 4, remainingStock: 4, state: 'open' } },
  });
  t.like(live, {
    redis: { error: null },
    mysql: { error: null, value: { outbox: { sent: 0, queued: 0, failed: 0 }, replayedDeadLetters: 0 } },
    kafka: { error: null, value: { deadLetters: 0 } },
  });
  t.deepEqual(live.kafka.value.lag, [{ partition: 0, lag: 0 }]);

  const closed = await freePort();
  const down = await terningJson(
    'watch',
    '--event',
    eventId,
    ...watchArgs(),
    '--redis-url',
    `redis://127.0.0.1:${closed}`,
    '--kafka-brokers',
    `127.0.0.1:${closed}`,
  );
  t.regex(down.redis.error, /ECONNREFUSED|no answer|not connected/);
  t.truthy(down.kafka.error);
  t.like(down, { api: { error: null }, mysql: { error: null }, event: { error: null, value: { id: eventId } } });

  const unknown = await terningJson('watch', '--event', 'no-such-event', ...watchArgs());
  t.like(unknown, { api: { error: null }, event: { value: null } });
  t.regex(unknown.event.error, /EVENT_NOT_FOUND/);
});

test('watch: bad input is a usage error; without a terminal it says to use --json', async (t) => {
  const noTty = await t.throwsAsync(terning('watch', ...baseArgs()), { instanceOf: UserError });
  t.is(noTty!.exitCode, EXIT.usage);
  t.regex(noTty!.message, /needs a terminal; for scripts use `terning watch --json`/);
  for (const [flag, value, pattern] of [
    ['--redis-url', 'nonsense', /REDIS_URL/],
    ['--mysql-url', 'nonsense', /MYSQL_URL/],
    ['--url', 'nonsense', /not an http\(s\) URL/],
    ['--actor', 'a b', /not a valid name/],
    ['--config', '/no/such/file.json', /ENOENT/],
  ] as const) {
    const e = await t.throwsAsync(terning('watch', ...baseArgs(), flag, value), { instanceOf: UserError });
    t.is(e!.exitCode, EXIT.usage, flag);
    t.regex(e!.message, pattern);
  }
});

test.serial('terning watch in a real terminal: live numbers, open with a confirmation, services going down, quit', async (t) => {
  const eventId = await newEvent(sys, 5, false);
  const admin = { adminKey: sys.config.adminKey };
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  t.is((await http(sys.url, 'POST', `/api/admin/events/${eventId}/open`, { ...admin, body: { at: inAnHour } })).status, 200);

  // watch's own Redis, which the test stops later; the server keeps the machine's.
  const redisPort = await freePort();
  redis = spawn(tools['redis-server']!, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await until('the private redis', async () =>
    (
      await run(tools['redis-server']!.replace(/redis-server$/, 'redis-cli'), ['-p', String(redisPort), 'ping']).then(
        (r) => r.stdout,
        () => '',
      )
    ).includes('PONG')
      ? true
      : undefined,
  );

  // A person's terminal, not a CI log: with CI set (as CI runs this suite) Ink writes only the last frame.
  const env = {
    CI: 'false',
    TERNING_URL: sys.url,
    ADMIN_KEY: sys.config.adminKey,
    TERNING_ACTOR: 'operator-1',
    MYSQL_URL: sys.config.mysqlUrl,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    KAFKA_BROKERS: sys.config.kafka.brokers.join(','),
    KAFKA_TOPIC: sys.config.kafka.applicationsTopic,
    KAFKA_DLQ_TOPIC: sys.config.kafka.deadLetterTopic,
    KAFKA_GROUP_ID: sys.config.kafka.groupId,
  };
  const watch = [
    'env',
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    process.execPath,
    'bin/terning.js',
    'watch',
    '--event',
    eventId,
  ].join(' ');
  // The shell stays after watch ends and says how it ended, as a person's terminal would.
  await tmux('new-session', '-d', '-s', 'watch', '-x', '100', '-y', '30', '-c', ROOT, `${watch}; echo "watch exited with $?"; sleep 600`);

  await shows(
    new RegExp(`terning watch  ${eventId} · test ${eventId}`),
    /State\s+SCHEDULED · opens in 00:(59|60):\d\d/,
    /Stock\s+█{30}\s+5 of 5 left/,
    /Consumer lag\s+p0 0/,
    /Dead letters\s+0 {3}replayed 0 {3}not replayed 0/,
    /Emails\s+sent 0\s+queued 0\s+failed 0/,
    /Health\s+API ok \d+ ms\s+Redis ok \d+ ms\s+MySQL ok\s+Kafka ok/,
    /\[o\] open\s+\[c\] close\s+\[q\] quit/,
  );

  await press('o');
  await shows(new RegExp(`Open ${eventId} now\\? \\[y\\] yes  \\[n\\] no`));
  await press('y');
  await shows(/State\s+OPEN/, new RegExp(`opened ${eventId} at \\d\\d:\\d\\d:\\d\\d as operator-1`));
  const audit = await http(sys.url, 'GET', `/api/admin/audit?event=${eventId}`, admin);
  t.like(audit.body.entries[0], { actor: 'operator-1', action: 'event.open', to: { state: 'open' } });

  const people = Array.from({ length: 3 }, () => randomEmail('watch'));
  for (const email of people) {
    const r = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(email) });
    t.true(r.status === 202 || r.status === 200);
  }
  const healthy = await shows(
    /Stock\s+█{12}░{18}\s+2 of 5 left/,
    /Applied\s+3\s+won 3\s+PENDING 0/,
    /Emails\s+sent 3/,
    /Consumer lag\s+p0 0/,
  );
  mkdirSync(`${ROOT}/artifacts`, { recursive: true });
  writeFileSync(`${ROOT}/artifacts/watch-capture.txt`, healthy);
  t.log(`\n${healthy.trimEnd()}`);

  await press('c');
  await shows(new RegExp(`Close ${eventId} now\\?`));
  await press('n');
  await shows(/\[o\] open\s+\[c\] close\s+\[q\] quit/, /State\s+OPEN/);

  redis.kill('SIGKILL');
  await shows(/Redis DOWN/, /Redis: /, /API ok \d+ ms/, /MySQL ok/, /Kafka ok/);

  await sys.api.stop();
  apiStopped = true;
  const down = await shows(
    /API DOWN/,
    /Redis DOWN/,
    /MySQL ok/,
    /Kafka ok/,
    /State\s+OPEN \(as of \d\d:\d\d:\d\d\)/,
    /API: http:\/\/127\.0\.0\.1:\d+ does not answer/,
  );
  writeFileSync(`${ROOT}/artifacts/watch-capture-down.txt`, down);
  t.regex(down, /2 of 5 left/, 'the last numbers stay on screen');

  await press('o');
  await shows(/Open .* now\?/);
  await press('y');
  await shows(/could not open: http:\/\/127\.0\.0\.1:\d+ does not answer/);

  await press('q');
  const after = await shows(/watch exited with \d+/);
  t.regex(after, /watch exited with 0/, 'q quits cleanly');
});
