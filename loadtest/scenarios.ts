import { randomUUID } from 'node:crypto';
import type { Pool } from 'mysql2/promise';
import { runJob } from './load/run-job.ts';
import { applyRequest, type Job, type JobResult } from './load/job.ts';
import type { Target } from './load/http-exchange.ts';
import { benchEmails, mintTokens, type TokenContract } from './tokens.ts';
import { summarize, timeline, type LoadSummary, type TimelinePoint } from './stats.ts';
import { PersistWatch, type PersistPoint } from './watch.ts';
import { answersOf, checkInvariants, type Invariants } from './invariants.ts';
import { openEvent, type Terning } from './terning.ts';
import type { Proc } from './processes.ts';
import { prepareNaive } from './references/naive-schema.ts';

export const targetOf = (url: string): Target => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
};

/** fresh: each request on a connection of its own (a herd of browsers); `connections` then caps how many are open at once. */
export interface Load {
  kind: 'burst' | 'sustained';
  users: number;
  connections: number;
  durationMs?: number;
  pipelined?: boolean;
  fresh?: boolean;
}

function job(load: Load, targets: Target[], path: string, tokens: string[]): Job {
  return {
    mode: load.kind,
    pipelined: load.pipelined,
    fresh: load.fresh,
    targets,
    ...applyRequest(path),
    tokens,
    connections: Math.min(load.connections, tokens.length),
    durationMs: load.durationMs ?? 0,
    timeoutMs: 30_000,
  };
}

/** How many applies a sustained run may need: enough distinct users for a fast server. */
export const usersFor = (load: Load) => (load.kind === 'burst' ? load.users : Math.ceil((load.durationMs! / 1000) * 30_000));

/** CPU time per answer of a run, µs, read from /proc: the server's processes, and the load generator's. */
export interface RunCpu {
  serverUs: number;
  generatorUs: number;
}

/** terning's: its API processes and its consumers apart. */
export interface TerningCpu extends RunCpu {
  apiUs: number;
  consumerUs: number;
  /** Over the stretch in which every answer was SOLD_OUT (a crowd, once the last unit went), when there is one. */
  soldOut?: { answers: number; seconds: number; apiUs: number; consumerUs: number; serverUs: number };
}

const perAnswerUs = (ms: number, answers: number) => (answers > 0 ? Math.round((ms * 10_000) / answers) / 10 : 0);
const answeredIn = (r: JobResult) => r.status.reduce((a, s) => a + (s > 0 ? 1 : 0), 0);

export interface ReferenceRun {
  load: LoadSummary;
  cpu: RunCpu;
}

export interface Reference {
  url: string;
  proc: Proc;
}

/** The same load against a reference server (the ceiling or the naive design), on a fresh event. */
export async function referenceRun(
  ref: Reference,
  load: Load,
  contract: TokenContract,
  naive?: { pool: Pool; stock: number },
): Promise<ReferenceRun & { result: JobResult }> {
  const eventId = `ref-${randomUUID().slice(0, 12)}`;
  if (naive) await prepareNaive(naive.pool, eventId, naive.stock);
  const tokens = mintTokens(contract, benchEmails(eventId, usersFor(load)));
  ref.proc.sample();
  const from = Date.now();
  const result = await runJob(job(load, [targetOf(ref.url)], `/api/events/${eventId}/apply`, tokens));
  ref.proc.sample();
  const answers = answeredIn(result);
  return {
    load: summarize(result),
    cpu: { serverUs: perAnswerUs(ref.proc.cpuBetween(from, Date.now()), answers), generatorUs: perAnswerUs(result.cpuMs, answers) },
    result,
  };
}

export interface TerningRun {
  eventId: string;
  stock: number;
  load: LoadSummary;
  /** Answered 202 WON and 409 SOLD_OUT: each answer is final. */
  won: number;
  soldOut: number;
  firstApplyAt: number;
  lastAnswerAt: number;
  /** From the last answer until every winner's row was in MySQL: the consumers persist after the answer. */
  persistedAfterLastAnswerMs?: number;
  /** Rows per second from the first persisted to the last, and the best 500 ms window. */
  persistedPerSecond?: number;
  peakPersistedPerSecond?: number;
  invariants?: Invariants;
  /** From the first apply until every winner was persisted. */
  cpu: TerningCpu;
  timeline: TimelinePoint[];
  persisted: PersistPoint[];
}

export interface TerningRunOptions {
  /** No consumer runs during the load; new ones start after it and persist the backlog: their own speed. */
  backlog?: boolean;
  check?: boolean;
  settleMs?: number;
  /**
   * The event first takes this many winners through the API (over the load's connections, as a drop
   * would), all persisted before the load begins; its stock is that much larger. The load, its CPU
   * and its invariants are then the run's, on an event that already holds them.
   */
  winnersBefore?: number;
  /** Called just before the load, after any filling. */
  beforeLoad?: () => void;
}

/** The load against terning on a fresh event, then watched until every winner is persisted. */
export async function terningRun(
  t: Terning,
  pool: Pool,
  stock: number,
  load: Load,
  o: TerningRunOptions = {},
): Promise<TerningRun & { result: JobResult }> {
  const before = o.winnersBefore ?? 0;
  const eventId = await openEvent(t, stock + before);
  if (before > 0) await fillEvent(t, pool, eventId, before, load.connections);
  const tokens = mintTokens(t.config.jwt, benchEmails(eventId, usersFor(load)));
  // Tickets 1..before are the earlier winners: only the load's are counted (the index's range).
  const watch = new PersistWatch(pool, eventId, 50, before);
  watch.start();
  if (o.backlog) await t.stopConsumers();
  o.beforeLoad?.();
  for (const p of [...t.apis, ...t.consumers]) p.sample();
  const from = Date.now();
  const result = await runJob(job(load, t.urls.map(targetOf), `/api/events/${eventId}/apply`, tokens));
  const resumedAt = Date.now();
  if (o.backlog) await t.startConsumers();
  const load_ = summarize(result);
  const answers = answersOf(result);
  const settled = await watch.settle(answers.won, o.settleMs ?? 120_000);
  await watch.stop();
  for (const p of [...t.apis, ...t.consumers]) p.sample();
  const cpu = terningCpu(t, result, from, Date.now());
  let lastAnswer = 0;
  for (let i = 0; i < result.status.length; i++)
    if (result.status[i] === 202 || result.status[i] === 409) lastAnswer = Math.max(lastAnswer, result.end[i]!);
  const lastAnswerAt = result.startedAt + lastAnswer;
  const lastRowAt = settled ? watch.reached(answers.won) : undefined;
  // Rows are timed from the last look before the first of them (a small backlog may be persisted in one
  // chunk, between two looks); a backlog from when its consumers were started.
  const since = o.backlog ? resumedAt : 0;
  const firstIndex = watch.points.findIndex((p) => p.persisted > 0 && p.t >= since);
  const firstRowAt = firstIndex > 0 ? watch.points[firstIndex - 1]!.t : watch.points[firstIndex]?.t;
  const run: TerningRun = {
    eventId,
    stock,
    load: load_,
    won: answers.won,
    soldOut: answers.soldOut,
    firstApplyAt: load_.firstAt,
    lastAnswerAt,
    persistedAfterLastAnswerMs: lastRowAt && Math.round(Math.max(0, lastRowAt - lastAnswerAt)),
    persistedPerSecond:
      lastRowAt && firstRowAt && lastRowAt > firstRowAt ? Math.round((answers.won / (lastRowAt - firstRowAt)) * 1000) : undefined,
    peakPersistedPerSecond: peakRate(watch.points, 500),
    invariants:
      o.check === false ? undefined : await checkInvariants(pool, eventId, stock + before, { ...answers, won: answers.won + before }),
    cpu,
    timeline: timeline(result, load.kind === 'burst' ? 50 : 250),
    persisted: watch.points,
  };
  return { ...run, result };
}

/** `winners` people win the event through the API, then every one of them is persisted. */
async function fillEvent(t: Terning, pool: Pool, eventId: string, winners: number, connections: number): Promise<void> {
  const tokens = mintTokens(t.config.jwt, benchEmails(`${eventId}-before`, winners));
  const fill: Load = { kind: 'burst', users: winners, connections };
  const result = await runJob(job(fill, t.urls.map(targetOf), `/api/events/${eventId}/apply`, tokens));
  const won = answersOf(result).won;
  if (won !== winners) throw new Error(`filling the event: ${won} of ${winners} won`);
  const watch = new PersistWatch(pool, eventId, 1_000);
  watch.start();
  const settled = await watch.settle(winners, 300_000);
  await watch.stop();
  if (!settled) throw new Error(`filling the event: ${watch.latest?.persisted ?? 0} of ${winners} persisted in 5 minutes`);
}

const cpuOf = (procs: Proc[], from: number, to: number) => procs.reduce((a, p) => a + p.cpuBetween(from, to), 0);

/**
 * What the run cost terning per answer, and what a SOLD_OUT answer cost: over the answers that came
 * after the last 202 (with a margin at either end), when they span a second or more.
 */
function terningCpu(t: Terning, r: JobResult, from: number, to: number): TerningCpu {
  const answers = answeredIn(r);
  const apiMs = cpuOf(t.apis, from, to);
  const consumerMs = cpuOf(t.consumers, from, to);
  const cpu: TerningCpu = {
    apiUs: perAnswerUs(apiMs, answers),
    consumerUs: perAnswerUs(consumerMs, answers),
    serverUs: perAnswerUs(apiMs + consumerMs, answers),
    generatorUs: perAnswerUs(r.cpuMs, answers),
  };
  let lastWon = -Infinity;
  let last = 0;
  for (let i = 0; i < r.status.length; i++) {
    if (r.status[i] === 202) lastWon = Math.max(lastWon, r.end[i]!);
    if (r.status[i]! > 0) last = Math.max(last, r.end[i]!);
  }
  const start = (lastWon === -Infinity ? 0 : lastWon) + 250;
  const end = last - 50;
  if (end - start < 1_000) return cpu;
  let soldOut = 0;
  for (let i = 0; i < r.status.length; i++) if (r.status[i] === 409 && r.end[i]! > start && r.end[i]! <= end) soldOut++;
  const api = cpuOf(t.apis, r.startedAt + start, r.startedAt + end);
  const consumer = cpuOf(t.consumers, r.startedAt + start, r.startedAt + end);
  cpu.soldOut = {
    answers: soldOut,
    seconds: Math.round(end - start) / 1000,
    apiUs: perAnswerUs(api, soldOut),
    consumerUs: perAnswerUs(consumer, soldOut),
    serverUs: perAnswerUs(api + consumer, soldOut),
  };
  return cpu;
}

function peakRate(points: PersistPoint[], windowMs: number): number {
  let best = 0;
  let j = 0;
  for (let i = 0; i < points.length; i++) {
    while (points[i]!.t - points[j]!.t > windowMs) j++;
    const span = points[i]!.t - points[j]!.t;
    if (span >= windowMs * 0.8) best = Math.max(best, ((points[i]!.persisted - points[j]!.persisted) / span) * 1000);
  }
  return Math.round(best);
}
