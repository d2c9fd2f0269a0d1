import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { createPool, type Pool } from 'mysql2/promise';
import { createLogger } from '../core/platform/log.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { createKafka, producerConfig } from '../core/adapters/kafka/client.ts';
import { applicationRecords } from '../core/adapters/kafka/application-records.ts';
import type { Decision } from '../core/domain/decision.ts';
import { migrate, startTerning, type Terning } from './terning.ts';
import { cpuMsOf, type CpuReading } from './processes.ts';
import { hotSpots } from './profile.ts';

const HELP = `npm run persist-throughput -- [options]

How fast consumers persist winners into MySQL, alone: N winners are taken at the gate (apply.lua),
written to a fresh applications topic with the real codec, one record per --per-record of them (as
the API's group commit writes a batch), and confirmed (confirm.lua), as the API does for a 202, with
no consumer running; then \`terning consumer --no-emails\` (compiled, as the image runs it; --source
for tsx) starts and persists them. Printed per run: winners/s from the last look before the group
committed its first offset to the look that saw its last (it commits a chunk's offset once its rows are
in MySQL), the consumer's CPU per winner and MySQL's and Redis's beside it, and then a check that
every winner is in MySQL once with its email queued and its decision in the public log's source.
Exits 1 when a check fails.

  --winners N      winners per run (100000)
  --per-record N   applications per Kafka record (500)
  --runs N         runs, each on a fresh event (3); the median is printed last
  --consumers N    consumer processes (1)   --partitions N   partitions of the topic (1)
  --profile        --cpu-prof the consumers; their top functions are printed
  --source         run the TypeScript through tsx instead of the build
  --mysql-url URL  a database to use as it is; by default one of its own is made on
                   mysql://root@127.0.0.1:3306/ and dropped at the end, so that no run meets
                   the rows of earlier ones (the bench's database holds millions)
`;

const { values } = parseArgs({
  options: {
    winners: { type: 'string' },
    'per-record': { type: 'string' },
    runs: { type: 'string' },
    consumers: { type: 'string' },
    partitions: { type: 'string' },
    profile: { type: 'boolean' },
    source: { type: 'boolean' },
    'mysql-url': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
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
const ownDatabase = values['mysql-url'] === undefined;
const mysqlUrl = values['mysql-url'] ?? `mysql://root@127.0.0.1:3306/terning_persist_${randomUUID().slice(0, 8)}`;
const profileDir = values.profile
  ? join('artifacts', 'persist-throughput', `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`)
  : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
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

/** Takes `n` units at the gate, sends them to Kafka as the API's group commit would, and confirms them; how many records. */
async function fill(t: Terning, stores: Stores, eventId: string, n: number): Promise<number> {
  let records = 0;
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
      const messages = pack(apps);
      records += messages.length;
      await producer.send({ topic: t.config.kafka.applicationsTopic, acks: -1, messages });
      const held = await stores.scripts.confirm(eventId, apps);
      if (held.some((h) => !h)) throw new Error('confirm.lua found a unit no longer held');
    }
  } finally {
    await producer.disconnect();
  }
  return records;
}

/**
 * The consumer group's progress: the records whose offsets it committed, which it does only once their
 * rows are in MySQL. Read from Kafka every 50 ms, not by counting rows: a COUNT(*) of an event's 100,000
 * rows took MySQL 40-80 ms, and every 50 ms it would be MySQL's largest work.
 */
class CommitWatch {
  readonly points: { t: number; records: number }[] = [];
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly admin: Admin,
    private readonly groupId: string,
    private readonly topic: string,
  ) {}

  async committed(): Promise<number> {
    const [t] = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] });
    return (t?.partitions ?? []).reduce((a, p) => a + Math.max(0, Number(p.offset)), 0);
  }

  start() {
    this.running = (async () => {
      while (!this.stopped) {
        this.points.push({ t: Date.now(), records: await this.committed() });
        await sleep(50);
      }
    })();
  }

  /** Waits until `records` are committed; when the first look before any of them was, and when the last was seen. */
  async until(from: number, records: number, timeoutMs: number): Promise<{ firstAt: number; lastAt: number } | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && (this.points.at(-1)?.records ?? 0) < from + records) await sleep(50);
    this.stopped = true;
    await this.running;
    const last = this.points.findIndex((p) => p.records >= from + records);
    if (last === -1) return undefined;
    const first = this.points.findIndex((p) => p.records > from);
    return { firstAt: this.points[Math.max(0, first - 1)]!.t, lastAt: this.points[last]!.t };
  }
}

interface Checked {
  ok: boolean;
  rows: number;
  people: number;
  tickets: number;
  outbox: number;
  proof: number;
}

async function check(pool: Pool, eventId: string): Promise<Checked> {
  const one = async (sql: string) => Number(((await pool.query(sql, [eventId]))[0] as { n: number }[])[0]!.n);
  const rows = await one("SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status = 'WON'");
  const people = await one('SELECT COUNT(DISTINCT person) AS n FROM applications WHERE event_id = ?');
  const outbox = await one("SELECT COUNT(*) AS n FROM email_outbox WHERE event_id = ? AND kind = 'winner'");
  const proof = await one("SELECT COUNT(*) AS n FROM proof_decisions WHERE event_id = ? AND kind = 'won'");
  const tickets = await one(
    "SELECT COUNT(DISTINCT ticket) AS n FROM applications WHERE event_id = ? AND status = 'WON' AND ticket BETWEEN 1 AND " + winners,
  );
  return {
    ok: rows === winners && people === winners && tickets === winners && outbox === winners && proof === winners,
    rows,
    people,
    tickets,
    outbox,
    proof,
  };
}

interface Run {
  perSecond: number;
  fromSpawnMs: number;
  consumerUsPerWinner: number;
  consumerCores: number;
  mysqlUsPerWinner?: number;
  mysqlCores?: number;
  redisUsPerWinner: number;
  load: string;
  checked: Checked;
}

async function redisCpuUs(stores: Stores): Promise<number> {
  const info = await stores.redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

async function oneRun(t: Terning, stores: Stores, pool: Pool, admin: Admin): Promise<Run> {
  const eventId = `persist-${randomUUID().slice(0, 12)}`;
  await stores.events.create({ id: eventId, name: `persist throughput ${eventId}`, totalStock: winners });
  await stores.events.open(eventId);
  const records = await fill(t, stores, eventId, winners);
  const mysql = serviceCpu('mariadbd|mysqld');
  const watch = new CommitWatch(admin, t.config.kafka.groupId, t.config.kafka.applicationsTopic);
  const from = await watch.committed();
  watch.start();
  const redis0 = await redisCpuUs(stores);
  const spawnedAt = Date.now();
  await t.startConsumers();
  const seen = await watch.until(from, records, 300_000);
  const redisUs = (await redisCpuUs(stores)) - redis0;
  mysql.stop();
  for (const c of t.consumers) c.sample();
  if (!seen) throw new Error(`the consumers did not commit past ${records} records in 300 s`);
  const { firstAt, lastAt } = seen;
  const span = Math.max(1, lastAt - firstAt);
  const consumerMs = t.consumers.reduce((a, c) => a + c.cpuBetween(firstAt, lastAt), 0);
  const mysqlMs = mysql.between(firstAt, lastAt);
  const run: Run = {
    perSecond: Math.round((winners / span) * 1000),
    fromSpawnMs: lastAt - spawnedAt,
    consumerUsPerWinner: Math.round(((consumerMs * 1000) / winners) * 10) / 10,
    consumerCores: Math.round((consumerMs / span) * 100) / 100,
    mysqlUsPerWinner: mysqlMs === undefined ? undefined : Math.round(((mysqlMs * 1000) / winners) * 10) / 10,
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

process.stdout.write(
  `persisting ${winners} winners, ${perRecord} per record, ${consumers} consumer(s), ${partitions} partition(s), ${runs} run(s) (load ${load()})\n`,
);
migrate(mysqlUrl);
const pool = createPool({ uri: mysqlUrl, connectionLimit: 2 });
const t = await startTerning({ apis: 0, consumers, partitions, mysqlUrl, source: values.source, cpuProfileDir: profileDir });
const stores = openStores(t.config, quiet);
const admin = createKafka({ ...t.config.kafka, log: quiet }).admin();
await admin.connect();
let failed = false;
try {
  await t.stopConsumers();
  const done: Run[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await oneRun(t, stores, pool, admin);
    done.push(r);
    const c = r.checked;
    failed ||= !c.ok;
    process.stdout.write(
      `run ${i + 1}: ${r.perSecond} winners/s (first commit to last; ${r.fromSpawnMs} ms from the consumer's spawn to the last); ` +
        `consumer ${r.consumerUsPerWinner} us/winner (${r.consumerCores} cores), MySQL ${r.mysqlUsPerWinner ?? '-'} us/winner (${r.mysqlCores ?? '-'} cores), ` +
        `Redis ${r.redisUsPerWinner} us/winner; load ${r.load}; ` +
        `${c.ok ? 'checks hold' : 'CHECKS FAILED'} (${c.rows} WON rows, ${c.people} people, ${c.tickets} tickets 1..N, ${c.outbox} emails queued, ${c.proof} decisions logged)\n`,
    );
  }
  process.stdout.write(
    `median of ${runs}: ${median(done.map((r) => r.perSecond))} winners/s; consumer ${median(done.map((r) => r.consumerUsPerWinner))} us/winner; ` +
      `MySQL ${median(done.map((r) => r.mysqlUsPerWinner ?? 0))} us/winner (target >= 20000 winners/s)\n`,
  );
} finally {
  await admin.disconnect();
  await stores.close();
  await t.stop();
  if (ownDatabase) await pool.query(`DROP DATABASE \`${new URL(mysqlUrl).pathname.slice(1)}\``);
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
