import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig } from '../core/platform/config.ts';
import { Scripts } from '../core/adapters/redis/scripts.ts';
import { RestoreScripts } from '../core/adapters/redis/restore-scripts.ts';

const HELP = `npm run lua-throughput -- [options]

How many applicants one event's gate takes per second: apply.lua against the Redis of REDIS_URL, with
applicants already refused (the event sold out) and winning (stock for all), at several batch sizes
(the API passes the applies of one event-loop turn in one call); then a winner's whole path through
the event's slot (apply.lua, confirm.lua, settle.lua), with the time of each confirm batch (with
REDIS_CONFIRM_REPLICAS set, the confirm waits for that many replicas: WAIT). One event is one hash slot, so this
is what one Redis core does for one event, however many Redis servers there are. Redis's own CPU per
applicant is read from INFO (used_cpu_user + used_cpu_sys).

  --seconds N      length of each measure (3)
  --callers N      calls in flight at once, as several API processes would keep them (16)
  --batches LIST   applicants per call (1,10,100,500)
`;

const { values } = parseArgs({
  options: { seconds: { type: 'string' }, callers: { type: 'string' }, batches: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const seconds = Number(values.seconds ?? 3);
const callers = Number(values.callers ?? 16);
const batches = (values.batches ?? '1,10,100,500').split(',').map(Number);

const config = loadConfig();
const redis = new Redis(config.redisUrl);
const prefix = `lua-throughput-${randomUUID().slice(0, 8)}`;
const scripts = new Scripts(redis, prefix, { confirmReplicas: config.redisConfirmReplicas });
const events = new RestoreScripts(redis, prefix);

/** Redis's CPU time so far, in µs (its main thread and the rest: INFO's used_cpu_*). */
async function redisCpuUs(): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

interface Measure {
  kind: string;
  batch: number;
  calls: number;
  applicants: number;
  perSecond: number;
  callsPerSecond: number;
  redisUsPerApplicant: number;
  redisUsPerCall: number;
}

async function measure(kind: 'sold-out' | 'winning', batch: number): Promise<Measure> {
  const eventId = `${kind}-${batch}`;
  await events.loadEvent(eventId, { state: 'open', opensAt: null, closesAt: null, total: kind === 'sold-out' ? 0 : 100_000_000 }, true);
  let next = 0;
  let calls = 0;
  const until = Date.now() + seconds * 1000;
  const cpu0 = await redisCpuUs();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (Date.now() < until) {
        const persons = Array.from({ length: batch }, () => `p${next++}@lua.test`);
        await scripts.applyMany(eventId, persons, Date.now());
        calls++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = (await redisCpuUs()) - cpu0;
  return {
    kind,
    batch,
    calls,
    applicants: next,
    perSecond: Math.round(next / elapsed),
    callsPerSecond: Math.round(calls / elapsed),
    redisUsPerApplicant: Math.round((cpu / next) * 100) / 100,
    redisUsPerCall: Math.round(cpu / calls),
  };
}

/**
 * A winner's whole path through the event's slot: apply.lua takes the unit, confirm.lua once Kafka
 * acked, settle.lua when a consumer persists it; in batches of `batch`, one call of each per batch.
 */
async function winnersPath(
  batch: number,
): Promise<{ winners: number; perSecond: number; redisUsPerWinner: number; confirmMs: { median: number; p99: number } }> {
  const eventId = `path-${batch}`;
  await events.loadEvent(eventId, { state: 'open', opensAt: null, closesAt: null, total: 100_000_000 }, true);
  let next = 0;
  const confirms: number[] = [];
  const until = Date.now() + seconds * 1000;
  const cpu0 = await redisCpuUs();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (Date.now() < until) {
        const persons = Array.from({ length: batch }, () => `w${next++}@lua.test`);
        const gate = await scripts.applyMany(eventId, persons, Date.now());
        const units = gate.map((g, i) => ({ person: persons[i]!, ticket: g.kind === 'new' ? g.ticket : 0 }));
        const c0 = performance.now();
        await scripts.confirm(eventId, units);
        confirms.push(performance.now() - c0);
        await scripts.settle(eventId, units);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = (await redisCpuUs()) - cpu0;
  confirms.sort((a, b) => a - b);
  const at = (q: number) => Math.round((confirms[Math.min(confirms.length - 1, Math.floor(q * confirms.length))] ?? 0) * 100) / 100;
  return {
    winners: next,
    perSecond: Math.round(next / elapsed),
    redisUsPerWinner: Math.round((cpu / next) * 100) / 100,
    confirmMs: { median: at(0.5), p99: at(0.99) },
  };
}

try {
  process.stdout.write(
    `apply.lua on ${config.redisUrl}, ${callers} calls in flight, ${seconds} s each (load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})\n`,
  );
  process.stdout.write('kind      batch  applicants/s   calls/s  Redis CPU per applicant  per call\n');
  for (const kind of ['sold-out', 'winning'] as const) {
    for (const batch of batches) {
      const m = await measure(kind, batch);
      process.stdout.write(
        `${m.kind.padEnd(9)} ${String(m.batch).padStart(5)} ${String(m.perSecond).padStart(13)} ${String(m.callsPerSecond).padStart(9)} ${String(m.redisUsPerApplicant).padStart(20)} us ${String(m.redisUsPerCall).padStart(7)} us\n`,
      );
    }
  }
  for (const batch of batches.filter((b) => b > 1)) {
    const w = await winnersPath(batch);
    process.stdout.write(
      `a winner's whole path (apply, confirm, settle), batch ${batch}: ${w.perSecond} winners/s, Redis CPU ${w.redisUsPerWinner} us per winner; a confirm batch ${w.confirmMs.median} ms median, ${w.confirmMs.p99} ms p99 (REDIS_CONFIRM_REPLICAS=${config.redisConfirmReplicas})\n`,
    );
  }
  process.stdout.write(
    `(load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})\n`,
  );
} finally {
  for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1_000 }) as AsyncIterable<string[]>)
    if (keys.length) await redis.del(...keys);
  redis.disconnect();
}
