import { QueryTypes } from 'sequelize';
import { setTimeout as sleep } from 'node:timers/promises';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';
import { listDeadLetters } from '../core/adapters/kafka/dead-letters.ts';
import { readTopicToEnd } from '../core/adapters/kafka/read-topic.ts';
import { drawApplicants } from './addresses.ts';
import { CHAOS, type Chaos, type ChaosContext } from './chaos.ts';
import { lag, redisState, rows, settle, type CheckContext } from './check.ts';
import { crowd } from './crowd.ts';
import { looseApplications, type FinalState, type FoundApplication, type History } from './history.ts';
import { judge, longestRefusal, type Violation } from './judge.ts';
import { PersistenceWatch } from './progress.ts';
import { readPublicLog } from './public-log.ts';
import { startTopology, type Topology } from './topology.ts';

export interface RandomOptions {
  schedules: number;
  /** The first schedule's seed; schedule i runs with seed + i. Random when not given. */
  seed?: number;
  applicants?: number;
  /** Only the chaos kinds whose name contains one of these. */
  only?: string[];
  log?: (line: string) => void;
}

export interface ScheduleResult {
  seed: number;
  faults: string[];
  applicants: number;
  persons: number;
  won: number;
  soldOut: number;
  stock: number;
  refusedMs: number;
  resumedMs: number | null;
  seconds: number;
  violations: Violation[];
}

/** The crowd arrives over this long; faults begin within it. */
const SPREAD_MS = 10_000;
/** Nobody is sent after this long: whoever has no final answer by then stayed unanswered. */
const DEADLINE_MS = 100_000;

/** A small seeded generator (mulberry32): the same seed draws the same schedule. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The faults a seed draws: two to four that share no group, each at its own moment, so that they overlap. */
export function drawSchedule(seed: number, kinds: Chaos[] = CHAOS): { chaos: Chaos; atMs: number }[] {
  const random = seeded(seed);
  const groups = [...new Set(kinds.flatMap((k) => k.groups))].sort();
  for (let i = groups.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [groups[i], groups[j]] = [groups[j]!, groups[i]!];
  }
  const n = 2 + Math.floor(random() * 3);
  const used = new Set<string>();
  const out: { chaos: Chaos; atMs: number }[] = [];
  for (const g of groups) {
    const of = kinds.filter((k) => k.groups[0] === g && k.groups.every((x) => !used.has(x)));
    if (out.length === n || of.length === 0) continue;
    const chaos = of[Math.floor(random() * of.length)]!;
    for (const x of chaos.groups) used.add(x);
    out.push({ chaos, atMs: 1_000 + Math.floor(random() * (SPREAD_MS - 2_000)) });
  }
  return out.sort((x, y) => x.atMs - y.atMs);
}

/**
 * `npm run test:faults -- --random N [--seed S]`: N random schedules on the production topology
 * (three KRaft brokers, a Redis primary with two replicas and three Sentinels, two APIs, two consumers).
 * Each draws, from its seed, overlapping faults and a crowd whose addresses are anything sign-in
 * accepts; records every answer with its times; waits for the event to settle; reads MySQL, Kafka, the
 * dead letters and Redis; and judges the promises (faults/judge.ts).
 */
export async function runRandom(o: RandomOptions): Promise<ScheduleResult[]> {
  const log = o.log ?? (() => {});
  const first = o.seed ?? Math.floor(Math.random() * 1_000_000_000);
  const kinds = CHAOS.filter((k) => !o.only?.length || o.only.some((s) => k.kind.includes(s)));
  const t = await startTopology({ cluster: true, log });
  // A run stopped by hand takes its services and processes down with it.
  const interrupted = () => void t.stop().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const results: ScheduleResult[] = [];
  // Crashes are counted from the topology's start: one between two schedules fails the next.
  const judged = [...t.apis, ...t.consumers].map(() => 0);
  try {
    for (let i = 0; i < o.schedules; i++) {
      const started = Date.now();
      const r = await runSchedule(t, first + i, o.applicants ?? 40, kinds, judged).catch(async (e: Error) => {
        // A schedule that could not run to its end (a process that would not start, a service that would
        // not answer) is broken, not skipped; every process starts afresh for the next one.
        await Promise.allSettled([...t.apis, ...t.consumers].map((p) => p.stop(5_000)));
        await Promise.allSettled([...t.apis, ...t.consumers].map((p) => p.start()));
        return {
          ...unrun(first + i, o.applicants ?? 40),
          seconds: (Date.now() - started) / 1000,
          violations: [{ rule: 'stalled' as const, detail: `the schedule could not run: ${e.message.slice(0, 500)}` }],
        };
      });
      results.push(r);
      log(
        `schedule ${i + 1}/${o.schedules} seed ${r.seed}: ${r.faults.join(' + ')}; ${r.applicants} applicants (${r.persons} people), stock ${r.stock}: ${r.won} won, ${r.soldOut} sold out; refused ${(r.refusedMs / 1000).toFixed(1)} s; ${r.violations.length ? `BROKEN: ${r.violations.map((v) => `${v.rule}: ${v.detail}`).join(' | ')}` : 'held'} (${r.seconds.toFixed(0)} s)`,
      );
    }
    // A crash after the last schedule was judged still fails the run.
    const late = [...t.apis, ...t.consumers].flatMap((p, i) => p.crashes.slice(judged[i]).map((x) => ({ process: p.kind, ...x })));
    for (const x of late)
      results.at(-1)?.violations.push({
        rule: 'crashed',
        detail: `${x.process} (pid ${x.pid}) exited on its own after the last schedule (code ${x.code}, signal ${x.signal})`,
      });
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await t.stop();
  }
  return results;
}

async function runSchedule(t: Topology, seed: number, n: number, kinds: Chaos[], judged: number[]): Promise<ScheduleResult> {
  const started = Date.now();
  // Each schedule meets the whole topology: every node up, the replica in sync, every process running.
  await t.services.start('redis', 'kafka');
  for (const p of [...t.apis, ...t.consumers]) if (!p.running) await p.start();

  const random = seeded(seed ^ 0x5bd1e995);
  const schedule = drawSchedule(seed, kinds);
  // How many people per one who leaves at a dropped connection (chaos.ts, abandons); 0: nobody leaves.
  const oneIn = schedule.some((s) => s.chaos.abandons === 'everyone') ? 1 : schedule.some((s) => s.chaos.abandons) ? 4 : 0;
  const tokens = new Tokens(t.config.jwt);
  // A person who leaves leaves with every tab of theirs (each of their applicants): a second tab
  // pressing later would take back the reservation the fault left for the sweeper.
  const drawn = drawApplicants(n, seed);
  const leaving = new Set([...new Set(drawn.map((a) => a.person))].filter((_, i) => oneIn > 0 && i % oneIn === 0));
  const applicants = await Promise.all(
    drawn.map(async (a) => ({ ...a, abandons: leaving.has(a.person), token: await tokens.issue(a.email) })),
  );
  const persons = new Set(applicants.map((a) => a.person)).size;
  const stock = Math.max(1, [Math.floor(persons / 2), Math.floor(persons * 0.8), persons + 3][Math.floor(random() * 3)]!);
  const eventId = `random-${seed}-${Date.now().toString(36)}`.slice(0, 60);
  await admin(t, 'POST', '/api/admin/events', { id: eventId, name: eventId, totalStock: stock });
  await admin(t, 'POST', `/api/admin/events/${eventId}/open`, {});

  const c: ChaosContext = { t, eventId, random, stock: { total: stock, changes: [] }, applicants: n };
  for (const s of schedule) await s.chaos.prepare?.(c);
  const watch = new PersistenceWatch(t.kafka, t.config.kafka.applicationsTopic, t.config.kafka.groupId);
  watch.start();
  const crowdStarted = Date.now();
  const running = crowd({ urls: t.urls, eventId, applicants, spreadMs: SPREAD_MS, deadlineMs: DEADLINE_MS });
  const faults = await Promise.all(
    schedule.map(async (s) => {
      await sleep(Math.max(0, crowdStarted + s.atMs - Date.now()));
      return s.chaos.inject(c).catch((e: Error) => ({
        kind: s.chaos.kind,
        target: '?',
        at: Date.now(),
        endedAt: Date.now(),
        injected: false,
        evidence: `failed: ${e.message}`,
      }));
    }),
  );
  const attempts = await running;
  // The giveaway is over: closed, as an operator would. An admin change meets the event's state, so one
  // whose state was lost while only the sold-out board answered is restored now.
  const closed = await closeEvent(t, eventId);

  const ctx: CheckContext = { config: t.config, stores: t.stores, kafka: t.kafka };
  const winners = new Set(attempts.filter((a) => a.answer === 'won').map((a) => a.person));
  let settled = await settle(ctx, eventId, winners, 120_000);
  let state = await finalState(t, ctx, eventId);
  // A settle met on a primary about to be deposed (the Sentinels' switch on its way after a freeze) is
  // followed by a read of the promoted replica, which holds the old primary's copy of the event, not
  // stamped by it, until a process restores it (seed 6038): then the event settles again, and is read again.
  for (let i = 0; settled && !state.redis.whole && i < 5; i++) {
    settled = await settle(ctx, eventId, winners, 60_000);
    state = await finalState(t, ctx, eventId);
  }
  state.log = await readPublicLog(t.stores.sequelize, t.urls, eventId);
  const resumedMs = await watch.stop(Math.max(...faults.map((f) => f.endedAt)));
  const crashes = [...t.apis, ...t.consumers].flatMap((p, i) => p.crashes.slice(judged[i]).map((x) => ({ process: p.kind, ...x })));
  [...t.apis, ...t.consumers].forEach((p, i) => (judged[i] = p.crashes.length));
  const history: History = {
    eventId,
    stock,
    stockChanges: c.stock.changes,
    applicants,
    attempts,
    faults,
    crashes,
    watch: { readings: watch.readings, resumedMs },
    settled,
  };
  const violations = judge(history, state);
  if (closed !== true) violations.push({ rule: 'stalled', detail: `the event could not be closed in a minute: ${closed}` });
  const refusal = longestRefusal(attempts);
  return {
    seed,
    faults: faults.map((f) => `${f.kind} (${f.evidence})`),
    applicants: n,
    persons,
    stock,
    won: winners.size,
    soldOut: new Set(attempts.filter((a) => a.answer === 'sold-out').map((a) => a.person)).size,
    refusedMs: refusal ? refusal.to - refusal.from : 0,
    resumedMs,
    seconds: (Date.now() - started) / 1000,
    violations,
  };
}

/** A schedule that did not run to its end: nothing to count but its seed. */
const unrun = (seed: number, applicants: number): ScheduleResult => ({
  seed,
  faults: [],
  applicants,
  persons: 0,
  won: 0,
  soldOut: 0,
  stock: 0,
  refusedMs: 0,
  resumedMs: null,
  seconds: 0,
  violations: [],
});

/** Closes the event, trying again for a minute while a restore or a failover answers 503; true, or the last error. */
async function closeEvent(t: Topology, eventId: string): Promise<true | string> {
  let last = '';
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(1_000)) {
    try {
      await admin(t, 'POST', `/api/admin/events/${eventId}/close`, {});
      return true;
    } catch (e) {
      last = (e as Error).message;
    }
  }
  return last;
}

async function admin(t: Topology, method: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${t.urls[1]}${path}`, {
    method,
    headers: { 'X-ADMIN-KEY': t.config.adminKey, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

/** MySQL's rows and total, the applications topic and the dead letters read to their ends, Redis's state. */
async function finalState(t: Topology, ctx: CheckContext, eventId: string): Promise<FinalState> {
  const [event] = await t.stores.sequelize.query<{ total: number }>('SELECT total_stock AS total FROM events WHERE id = ?', {
    replacements: [eventId],
    type: QueryTypes.SELECT,
  });
  const records: FoundApplication[] = [];
  await readTopicToEnd(
    t.kafka,
    t.config.kafka.applicationsTopic,
    (_, m) => {
      records.push(...looseApplications(m.value).filter((a) => a.eventId === eventId));
    },
    { reader: 'terning-faults-read', timeoutMs: 60_000 },
  );
  let deadLetters: FinalState['deadLetters'];
  try {
    const letters = await listDeadLetters(t.kafka, t.config.kafka.deadLetterTopic);
    const applications = letters.map((l) => looseApplications(l.value));
    deadLetters = { ok: true, applications: applications.flat(), unreadable: applications.filter((a) => a.length === 0).length };
  } catch (e) {
    deadLetters = { ok: false, error: (e as Error).message };
  }
  const redis = await redisState(ctx, eventId);
  return { total: Number(event?.total ?? -1), rows: await rows(ctx, eventId), records, deadLetters, redis, lag: await lag(ctx) };
}
