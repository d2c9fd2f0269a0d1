import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { startSystem, newEvent, randomEmail, type System } from './support/system.ts';
import { envFor, spawnServer, spawnTerning, type Running } from './support/processes.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { applicationRows } from './support/db.ts';
import { buildCompiled } from '../scripts/build.ts';

// The image runs terning compiled (npm run build, TERNING_COMPILED=1): the participant flow through a
// compiled server and a compiled consumer, which must find the files beside the code (the Lua
// scripts, the page's sources, the migrations) from dist/ as they do from the sources.
let sys: System;
const running: Running[] = [];
test.before(async () => {
  await buildCompiled();
  sys = await startSystem({ consumer: false });
});
test.after.always(async () => {
  for (const p of running) p.child.kill('SIGTERM');
  await Promise.all(running.map((p) => p.exited));
  await sys?.stop();
});

test('compiled, the server serves the page and decides applications, the consumer persists them, migrate knows the schema', async (t) => {
  t.true(existsSync(new URL('../dist/terning.mjs', import.meta.url)));
  const env = envFor(sys.config, { TERNING_COMPILED: '1' });
  const server = await spawnServer(env);
  running.push(server);
  const consumer = spawnTerning(['consumer', '--no-emails'], env);
  running.push(consumer);
  await consumer.waitFor(/consumer running/);

  const page = await fetch(`${server.url}/`);
  t.is(page.status, 200);
  t.regex(await page.text(), /<script type="module" src="\/assets\/main-[A-Z0-9]+\.js"/);

  const eventId = await newEvent(sys, 1);
  const [first, second] = [randomEmail('compiled'), randomEmail('compiled')];
  const a = await http(server.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(first) });
  t.is(a.status, 202, JSON.stringify(a.body));
  t.is(a.body.status, 'WON');
  // The compiled consumer persists it (settle.lua, read from beside the compiled code).
  const rows = await until('the winner persisted', async () => {
    const r = await applicationRows(sys.config, eventId);
    return r.length === 1 ? r : undefined;
  });
  t.deepEqual(
    rows.map((r) => [r.person, r.status]),
    [[first, 'WON']],
  );
  // The one unit is taken: the gate (apply.lua, read from beside the compiled code) says so.
  const b = await http(server.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(second) });
  t.is(b.status, 409, JSON.stringify(b.body));
  t.is(b.body.error.code, 'SOLD_OUT');

  const migrate = spawnTerning(['migrate'], env);
  t.is((await migrate.exited).code, 0, migrate.output.join('\n'));
  t.true(
    migrate.output.some((l) => /schema is current/.test(l)),
    migrate.output.join('\n'),
  );
});

const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

test("terning server runs within its memory budget, in the same process; an operator's heap flag wins", async (t) => {
  const env = envFor(sys.config);
  const budgeted = await spawnServer(env);
  running.push(budgeted);
  const args = commandLine(budgeted.child.pid!);
  t.true(args.includes('--max-old-space-size=144'), args.join(' '));
  t.true(args.includes('--max-semi-space-size=16'), args.join(' '));
  t.is(args.at(-1), 'server');
  t.true(args.at(-2)!.endsWith('bin/terning.js'));
  t.is((await fetch(`${budgeted.url}/healthz`)).status, 200);

  const own = await spawnServer({ ...env, NODE_OPTIONS: '--max-old-space-size=300' });
  running.push(own);
  const ownArgs = commandLine(own.child.pid!);
  t.false(
    ownArgs.some((a) => a.startsWith('--max-old-space-size')),
    ownArgs.join(' '),
  );
  t.is((await fetch(`${own.url}/healthz`)).status, 200);

  // Other commands are left as they are.
  const consumer = spawnTerning(['consumer', '--no-emails'], env);
  running.push(consumer);
  await consumer.waitFor(/consumer running/);
  t.false(commandLine(consumer.child.pid!).some((a) => a.startsWith('--max-old-space-size')));
});

test('terning stock-stream, compiled, streams an event within its own memory budget, and SIGTERM ends its streams', async (t) => {
  const env = envFor(sys.config, { TERNING_COMPILED: '1', STOCK_STREAM_PORT: '0' });
  const p = spawnTerning(['stock-stream'], env);
  running.push(p);
  const url = JSON.parse(await p.waitFor(/stock streams listening/)).url as string;
  const args = commandLine(p.child.pid!);
  t.true(args.includes('--max-old-space-size=256'), args.join(' '));
  t.true(args.includes('--max-semi-space-size=4'), args.join(' '));
  t.is(args.at(-1), 'stock-stream');

  const eventId = await newEvent(sys, 2);
  const res = await fetch(`${url}/api/events/${eventId}/stream`);
  t.is(res.status, 200);
  const text = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let got = '';
  while (!got.includes('event: stock')) got += (await text.read()).value ?? '';
  t.regex(got, /data: \{"remaining":2,"total":2,"soldOut":false\}/);
  p.child.kill('SIGTERM');
  for (let r = await text.read(); !r.done; r = await text.read());
  t.is((await p.exited).code, 0);
});
