import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startSystem, newEvent, randomEmail } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { applicationRows } from './support/db.ts';
import { eventKeys } from '../core/redis/keys.ts';

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as AddressInfo;
    s.close(() => resolve(port));
  });
});

function redisServer(port: number, dir: string): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
}

test('a Redis that restarts having lost its last second is recounted from MySQL: no oversell', async (t) => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'terning-restart-'));
  let redis = redisServer(port, dir);
  const direct = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: null });
  direct.on('error', () => {});
  await direct.ping();
  const sys = await startSystem({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS: '100' }, consumer: { sendEmails: false } });
  try {
    const eventId = await newEvent(sys, 10);
    const apply = async (email: string) => http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(email) });
    const first = Array.from({ length: 3 }, () => randomEmail('before'));
    for (const p of first) t.is((await apply(p)).status, 202);
    await until('three winners stored', async () => ((await applicationRows(sys.config, eventId)).length === 3 ? true : undefined));

    // The last second is lost: the stock is back to 10 and the three decisions are gone, while every
    // key still exists (nothing marks the loss). Then Redis restarts with that state.
    const k = eventKeys(sys.config.redisPrefix, eventId);
    await direct.set(k.remaining, 10);
    await direct.hdel(k.decisions, ...first);
    redis.kill('SIGKILL');
    await new Promise((r) => redis.once('exit', r));
    redis = redisServer(port, dir);
    await until('redis back', async () => ((await direct.ping().catch(() => null)) === 'PONG' ? true : undefined));

    const later = Array.from({ length: 12 }, () => randomEmail('after'));
    for (const p of later) t.true([202, 409].includes((await apply(p)).status));
    const rows = await until('everyone decided', async () => {
      const r = await applicationRows(sys.config, eventId);
      const snap = (await http(sys.url, 'GET', `/api/admin/events/${eventId}`, { adminKey: sys.config.adminKey })).body;
      return snap.pending === 0 && r.length >= 3 + 7 ? r : undefined;
    }, 30_000, 200);
    const winners = rows.filter((r) => r.status === 'WON');
    t.is(winners.length, 10, 'exactly the stock, not 13');
    t.true(first.every((p) => winners.some((w) => w.email === p)), 'the first three kept their gifts');
    t.is(Number(await direct.get(k.remaining)), 0);
    const again = await apply(first[0]!);
    t.is(again.body.status, 'WON', 'a winner from before the loss is known again');
  } finally {
    await sys.stop();
    direct.disconnect();
    redis.kill('SIGKILL');
  }
});
