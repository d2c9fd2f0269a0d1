import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../infra/net.ts';
import { createTopics, rand, randomEmail, randomEventId, testConfig, testLog } from './support/system.ts';
import { until } from './support/wait.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { RedisRestarts } from '../core/adapters/redis/restarts.ts';
import { createSequelize, ensureDatabase } from '../core/adapters/mysql/sequelize.ts';
import { createMigrator } from '../core/adapters/mysql/migrator.ts';
import { loadConfig } from '../core/platform/config.ts';

/**
 * A database of its own: a restart restores every event MySQL knows, and restoring numbers each event's
 * new state in MySQL (events.redis_generation), which the other test files' events must not see moved.
 */
async function ownDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const url = new URL(loadConfig().mysqlUrl);
  const name = `terning_restart_${rand()}`;
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  const db = createSequelize(url.toString(), { pool: 1 });
  await createMigrator(db).up();
  return {
    url: url.toString(),
    drop: async () => {
      await db.query(`DROP DATABASE \`${name}\``);
      await db.close();
    },
  };
}

function redisServer(port: number, dir: string): ChildProcess {
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
    { stdio: 'ignore' },
  );
}

test('a Redis that restarted (new run_id) has every event marked restoring once, by the first process to see it, and rebuilt from MySQL', async (t) => {
  t.timeout(5 * 60_000);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'terning-restart-'));
  let server = redisServer(port, dir);
  const redisUrl = `redis://127.0.0.1:${port}`;
  const direct = new Redis(redisUrl, { maxRetriesPerRequest: null });
  direct.on('error', () => {});
  await until('redis up', async () => ((await direct.ping().catch(() => null)) === 'PONG' ? true : undefined));
  const mysql = await ownDatabase();
  t.teardown(mysql.drop);
  const config = testConfig({ REDIS_URL: redisUrl, MYSQL_URL: mysql.url });
  await createTopics(config);
  const processes: { stores: Stores; restarts: RedisRestarts }[] = [];
  let marked = 0;
  const start = () => {
    const stores = openStores(config, testLog());
    const restarts = new RedisRestarts(
      stores.redis,
      config.redisPrefix,
      async () => {
        marked++;
        await stores.restorer.restoreAll();
      },
      testLog(),
    );
    processes.push({ stores, restarts });
    return stores;
  };
  try {
    const a = start();
    start();
    const eventId = randomEventId();
    await a.events.create({ id: eventId, name: eventId, totalStock: 3 });
    await a.events.open(eventId);
    const other = randomEventId();
    await a.events.create({ id: other, name: other, totalStock: 2 });
    const person = randomEmail();
    const won = await a.scripts.apply(eventId, person, Date.now());
    if (won.kind !== 'new') return t.fail(won.kind);
    await a.records.storeWinners([{ eventId, person, email: person, ticket: won.ticket, decidedAt: won.decidedAt }]);
    await Promise.all(processes.map((p) => p.restarts.settled()));
    t.is(marked, 0, 'the first run_id seen is no restart');

    // The last write is lost (the winner's unit is back in the stock) and Redis restarts with that state.
    const k = a.scripts.keys(eventId);
    await direct.set(k.remaining, 3);
    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
    server = redisServer(port, dir);
    await until('both processes saw the new Redis', async () =>
      marked === 1 && processes.every((p) => p.stores.redis.status === 'ready') ? true : undefined,
    );
    await Promise.all(processes.map((p) => p.restarts.settled()));
    t.is(marked, 1, 'marked once, by one of the two');
    start();
    await processes[2]!.restarts.settled();
    t.is(marked, 1, 'a process started afterwards does not mark again');

    // Every event in the database is restored, one after another.
    await until(
      'both events restored',
      async () => ((await a.restorer.isRestoring(eventId)) || (await a.restorer.isRestoring(other)) ? undefined : true),
      240_000,
    );
    t.is(await direct.get(k.remaining), '2', "recounted from MySQL: the winner's unit is taken");
    t.like(await a.scripts.apply(eventId, person, Date.now()), { kind: 'decided', ticket: won.ticket });
    t.is(await direct.get(a.scripts.keys(other).remaining), '2');
  } finally {
    for (const p of processes) {
      await p.restarts.stop();
      await p.stores.close();
    }
    direct.disconnect();
    server.kill('SIGKILL');
  }
});
