import test from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { requireTools } from '../infra/tools.ts';
import { startSystem, newEvent, randomEmail, rand, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const socket = `terning-watch-${rand()}`;
let tools: Record<string, string>;
let sys: System;
let redis: ChildProcess | undefined;
let apiStopped = false;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const tmux = (...args: string[]) => run(tools.tmux!, ['-L', socket, ...args]).then((r) => r.stdout);
const screen = () => tmux('capture-pane', '-p', '-t', 'watch');
const press = (key: string) => tmux('send-keys', '-t', 'watch', key);

/** Waits (with a deadline) until what a person sees on the terminal matches every pattern. */
async function shows(...patterns: RegExp[]): Promise<string> {
  let last = '';
  try {
    return await until(`the screen to show ${patterns.join(' and ')}`, async () => {
      last = await screen();
      return patterns.every((p) => p.test(last)) ? last : undefined;
    }, 30_000, 200);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nthe screen:\n${last}`);
  }
}

test.before(async () => {
  // tmux and redis-server are installed the way `terning services up` installs the services on CI.
  tools = await requireTools('the watch test', [{ bin: 'tmux', pkg: 'tmux' }, { bin: 'redis-server', pkg: 'redis-server' }], () => {});
  sys = await startSystem();
});

test.after.always(async () => {
  await run(tools?.tmux ?? 'tmux', ['-L', socket, 'kill-server']).catch(() => {});
  redis?.kill('SIGKILL');
  await sys?.consumer?.stop();
  if (!apiStopped) await sys?.api.stop();
});

test.serial('terning watch in a real terminal: live numbers, open with a confirmation, services going down, quit', async (t) => {
  const eventId = await newEvent(sys, 5, false);
  const admin = { adminKey: sys.config.adminKey };
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  t.is((await http(sys.url, 'POST', `/api/admin/events/${eventId}/open`, { ...admin, body: { at: inAnHour } })).status, 200);

  // watch's own Redis, which the test stops later; the server keeps the machine's.
  const redisPort = await freePort();
  redis = spawn(tools['redis-server']!, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await until('the private redis', async () => ((await run(tools['redis-server']!.replace(/redis-server$/, 'redis-cli'), ['-p', String(redisPort), 'ping']).then((r) => r.stdout, () => '')).includes('PONG') ? true : undefined));

  const env = {
    TERNING_URL: sys.url, ADMIN_KEY: sys.config.adminKey, TERNING_ACTOR: 'operator-1',
    MYSQL_URL: sys.config.mysqlUrl, REDIS_URL: `redis://127.0.0.1:${redisPort}`, KAFKA_BROKERS: sys.config.kafka.brokers.join(','),
    KAFKA_TOPIC: sys.config.kafka.applicationsTopic, KAFKA_DLQ_TOPIC: sys.config.kafka.deadLetterTopic, KAFKA_GROUP_ID: sys.config.kafka.groupId,
  };
  const command = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, 'bin/terning.js', 'watch', '--event', eventId].join(' ');
  await tmux('new-session', '-d', '-s', 'watch', '-x', '100', '-y', '30', '-c', ROOT, command);
  await tmux('set-option', '-t', 'watch', 'remain-on-exit', 'on');

  await shows(
    new RegExp(`terning watch  ${eventId} · test ${eventId}`),
    /State\s+SCHEDULED · opens in 00:(59|60):\d\d/,
    /Stock\s+█{30}\s+5 of 5 left/,
    /Consumer lag\s+p0 0/,
    /Dead letters\s+0/,
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
  const healthy = await shows(/Stock\s+█{12}░{18}\s+2 of 5 left/, /Applied\s+3\s+won 3\s+lost 0\s+PENDING 0/, /Emails\s+sent 3/, /Consumer lag\s+p0 0/);
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
  const down = await shows(/API DOWN/, /Redis DOWN/, /MySQL ok/, /Kafka ok/, /State\s+OPEN \(as of \d\d:\d\d:\d\d\)/, /API: http:\/\/127\.0\.0\.1:\d+ does not answer/);
  writeFileSync(`${ROOT}/artifacts/watch-capture-down.txt`, down);
  t.regex(down, /2 of 5 left/, 'the last numbers stay on screen');

  await press('o');
  await shows(/Open .* now\?/);
  await press('y');
  await shows(/could not open: http:\/\/127\.0\.0\.1:\d+ does not answer/);

  await press('q');
  const exit = await until('watch to exit', async () => {
    const [dead, status] = (await tmux('list-panes', '-t', 'watch', '-F', '#{pane_dead} #{pane_dead_status}')).trim().split(' ');
    return dead === '1' ? Number(status) : undefined;
  });
  t.is(exit, 0, 'q quits cleanly');
});
