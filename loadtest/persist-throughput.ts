import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createPool, type Pool } from 'mysql2/promise';
import { createLogger } from '../core/platform/log.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { createKafka, producerConfig } from '../core/adapters/kafka/client.ts';
import { applicationRecords } from '../core/adapters/kafka/application-records.ts';
import type { Decision } from '../core/domain/decision.ts';
import { migrate, startTerning, type Terning } from './terning.ts';
import { cpuMsOf, type CpuReading } from './processes.ts';
import { PersistWatch } from './watch.ts';
import { hotSpots } from './profile.ts';

const HELP = `npm run persist-throughput -- [options]

How fast consumers persist winners into MySQL, alone: N winners are taken at the gate (apply.lua),
written to a fresh applications topic with the real codec, one record per --per-record of them (as
the API's group commit writes a batch), and confirmed (confirm.lua), as the API does for a 202, with
no consumer running; then \`terning consumer --no-emails\` (compiled, as the image runs it; --source
for tsx) starts and persists them. Printed per run: winners/s from the first row to the last (the
bench's own rule), the consumer's CPU per winner and MySQL's and Redis's beside it, and a check that
every winner is in MySQL once with its email queued and its decision in the public log's source.
Exits 1 when a check fails.

  --winners N      winners per run (100000)
  --per-record N   applications per Kafka record (500)
  --runs N         runs, each on a fresh event (3); the median is printed last
  --consumers N    consumer processes (1)   --partitions N   partitions of the topic (1)
  --profile        --cpu-prof the consumers; their top functions are printed
  --source         run the TypeScript through tsx instead of the build
  --mysql-url URL  the bench database (mysql://root@127.0.0.1:3306/terning_bench)
`;

const { values } = parseArgs({
  options: {
    winners: { type: 'string' }, 'per-record': { type: 'string' }, runs: { type: 'string' }, consumers: { type: 'string' }, partitions: { type: 'string' },
    profile: { type: 'boolean' }, source: { type: 'boolean' }, 'mysql-url': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const winners = Number(values.winners ?? 100_000);
const perRecord = Number(values['per-record'] ?? 500);
const runs = Number(values.runs ?? 3);
const consumers = Number(values.consumers ?? 1);
const partitions = Number(values.partitions ?? 1);
const mysqlUrl = values['mysql-url'] ?? process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/terning_bench';
const profileDir = values.profile ? join('artifacts', 'persist-throughput', `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`) : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
const quiet = createLogger('persist-throughput', 'silent');

/** A shared service's process, by name, whose CPU time is read from /proc beside the consumer's. */
function serviceCpu(name: string) {
  const pid = Number(spawnSync('pgrep', ['-o', '-f', name], { encoding: 'utf8' }).stdout.trim()) || undefined;
  const readings: CpuReading[] = [];
  const sample = () => {
    const ms = pid === undefined ? null : cpuMsOf(pid);
    if (ms !== null) readings.push({ t: Date.now(), ms });
  };
  const timer = setInterval(sample, 100);
  sample();
  return {
    between(from: number, to: number) {
      const at = (t: number) => readings.findLast((r) => r.t <= t)?.ms ?? readings[0]?.ms ?? 0;
      return pid === undefined ? undefined : at(to) - at(from);
    },
    stop: () => clearInterval(timer),
  };
}

/** Takes `n` units at the gate, sends them to Kafka as the API's group commit would, and confirms them. */
async function fill(t: Terning, stores: Stores, eventId: string, n: number): Promise<void> {
  const kafka = createKafka({ ...t.config.kafka, log: quiet });
  const producer = kafka.producer(producerConfig);
  await producer.connect();
  const pack = applicationRecords(partitions);
  try {
    for (let from = 0; from < n; from += perRecord) {
      const persons = Array.from({ length: Math.min(perRecord, n - from) }, (_, i) => `w${from + i}.${eventId}@persist.test`);
      const gate = await stores.scripts.applyMany(eventId, persons, Date.now());
      const apps = gate.map((g, i): Decision => {
        if (g.kind !== 'new') throw new Error(`the gate answered ${g.kind}, not a new unit`);
        return { eventId, person: persons[i]!, email: persons[i]!, ticket: g.ticket, decidedAt: g.decidedAt, requestId: randomUUID() };
      });
      await producer.send({ topic: t.config.kafka.applicationsTopic, acks: -1, messages: pack(apps) });
      const held = await stores.scripts.confirm(eventId, apps);
      if (held.some((h) => !h)) throw new Error('confirm.lua found a unit no longer held');
    }
  } finally {
    await producer.disconnect();
  }
}

interface Checked { ok: boolean; rows: number; people: number; tickets: number; outbox: number; proof: number }

async function check(pool: Pool, eventId: string): Promise<Checked> {
  const one = async (sql: string) => Number(((await pool.query(sql, [eventId]))[0] as { n: number }[])[0]!.n);
  const rows = await one("SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status = 'WON'");
  const people = await one('SELECT COUNT(DISTINCT person) AS n FROM applications WHERE event_id = ?');
  const outbox = await one("SELECT COUNT(*) AS n FROM email_outbox WHERE event_id = ? AND kind = 'winner'");
  const proof = await one("SELECT COUNT(*) AS n FROM proof_decisions WHERE event_id = ? AND kind = 'won'");
  const tickets = await one("SELECT COUNT(DISTINCT ticket) AS n FROM applications WHERE event_id = ? AND status = 'WON' AND ticket BETWEEN 1 AND " + winners);
  return { ok: rows === winners && people === winners && tickets === winners && outbox === winners && proof === winners, rows, people, tickets, outbox, proof };
}

interface Run { perSecond: number; fromSpawnMs: number; consumerUsPerWinner: number; consumerCores: number; mysqlUsPerWinner?: number; mysqlCores?: number; redisUsPerWinner: number; load: string; checked: Checked }

async function redisCpuUs(stores: Stores): Promise<number> {
  const info = await stores.redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

async function oneRun(t: Terning, stores: Stores, pool: Pool): Promise<Run> {
  const eventId = `persist-${randomUUID().slice(0, 12)}`;
  await stores.events.create({ id: eventId, name: `persist throughput ${eventId}`, totalStock: winners });
  await stores.events.open(eventId);
  await fill(t, stores, eventId, winners);
  const mysql = serviceCpu('mariadbd|mysqld');
  const watch = new PersistWatch(pool, eventId);
  watch.start();
  const redis0 = await redisCpuUs(stores);
  const spawnedAt = Date.now();
  await t.startConsumers();
  const settled = await watch.settle(winners, 300_000);
  await watch.stop();
  const redisUs = (await redisCpuUs(stores)) - redis0;
  mysql.stop();
  for (const c of t.consumers) c.sample();
  const lastRowAt = watch.reached(winners);
  if (!settled || lastRowAt === undefined) throw new Error(`only ${watch.latest?.persisted ?? 0} of ${winners} winners were persisted in 300 s`);
  const firstIndex = watch.points.findIndex((p) => p.persisted > 0);
  const firstRowAt = watch.points[Math.max(0, firstIndex - 1)]!.t;
  const span = Math.max(1, lastRowAt - firstRowAt);
  const consumerMs = t.consumers.reduce((a, c) => a + c.cpuBetween(firstRowAt, lastRowAt), 0);
  const mysqlMs = mysql.between(firstRowAt, lastRowAt);
  const run: Run = {
    perSecond: Math.round((winners / span) * 1000),
    fromSpawnMs: lastRowAt - spawnedAt,
    consumerUsPerWinner: Math.round((consumerMs * 1000) / winners * 10) / 10,
    consumerCores: Math.round((consumerMs / span) * 100) / 100,
    mysqlUsPerWinner: mysqlMs === undefined ? undefined : Math.round((mysqlMs * 1000) / winners * 10) / 10,
    mysqlCores: mysqlMs === undefined ? undefined : Math.round((mysqlMs / span) * 100) / 100,
    redisUsPerWinner: Math.round((redisUs / winners) * 10) / 10,
    load: load(),
    checked: { ok: false, rows: 0, people: 0, tickets: 0, outbox: 0, proof: 0 },
  };
  await t.stopConsumers();
  run.checked = await check(pool, eventId);
  return run;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

process.stdout.write(`persisting ${winners} winners, ${perRecord} per record, ${consumers} consumer(s), ${partitions} partition(s), ${runs} run(s) (load ${load()})\n`);
migrate(mysqlUrl);
const pool = createPool({ uri: mysqlUrl, connectionLimit: 2 });
const t = await startTerning({ apis: 0, consumers, partitions, mysqlUrl, source: values.source, cpuProfileDir: profileDir });
const stores = openStores(t.config, quiet);
let failed = false;
try {
  await t.stopConsumers();
  const done: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await oneRun(t, stores, pool);
    done.push(r);
    const c = r.checked;
    failed ||= !c.ok;
    process.stdout.write(`run ${i + 1}: ${r.perSecond} winners/s (first row to last; ${r.fromSpawnMs} ms from the consumer's spawn to the last row); `
      + `consumer ${r.consumerUsPerWinner} us/winner (${r.consumerCores} cores), MySQL ${r.mysqlUsPerWinner ?? '-'} us/winner (${r.mysqlCores ?? '-'} cores), `
      + `Redis ${r.redisUsPerWinner} us/winner; load ${r.load}; `
      + `${c.ok ? 'checks hold' : 'CHECKS FAILED'} (${c.rows} WON rows, ${c.people} people, ${c.tickets} tickets 1..N, ${c.outbox} emails queued, ${c.proof} decisions logged)\n`);
  }
  process.stdout.write(`median of ${runs}: ${median(done.map((r) => r.perSecond))} winners/s; consumer ${median(done.map((r) => r.consumerUsPerWinner))} us/winner; `
    + `MySQL ${median(done.map((r) => r.mysqlUsPerWinner ?? 0))} us/winner (target >= 20000 winners/s)\n`);
} finally {
  await stores.close();
  await t.stop();
  await pool.end();
}
if (profileDir) {
  for (const f of readdirSync(profileDir).filter((x) => x.endsWith('.cpuprofile'))) {
    const h = hotSpots(join(profileDir, f), 25);
    process.stdout.write(`\n${f}: by package ${h.packages.map((p) => `${p.name} ${p.selfPct}%`).join(', ')}\n`);
    for (const fn of h.functions) process.stdout.write(`  ${String(fn.selfPct).padStart(5)}%  ${fn.name}  ${fn.where}\n`);
  }
}
if (failed) {
  process.stdout.write('checks FAILED\n');
  process.exit(1);
}
