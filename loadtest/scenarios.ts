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
import { prepareNaive } from './references/naive-schema.ts';

export const targetOf = (url: string): Target => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
};

export interface Load { kind: 'burst' | 'sustained'; users: number; connections: number; durationMs?: number; pipelined?: boolean }

function job(load: Load, targets: Target[], path: string, tokens: string[]): Job {
  return {
    mode: load.kind, pipelined: load.pipelined, targets, ...applyRequest(path), tokens,
    connections: Math.min(load.connections, tokens.length),
    durationMs: load.durationMs ?? 0,
    timeoutMs: 30_000,
  };
}

/** How many applies a sustained run may need: enough distinct users for a fast server. */
export const usersFor = (load: Load) => (load.kind === 'burst' ? load.users : Math.ceil((load.durationMs! / 1000) * 30_000));

export interface ReferenceRun { load: LoadSummary }

/** The same load against a reference server (the ceiling or the naive design), on a fresh event. */
export async function referenceRun(url: string, load: Load, contract: TokenContract, naive?: { pool: Pool; stock: number }): Promise<ReferenceRun & { result: JobResult }> {
  const eventId = `ref-${randomUUID().slice(0, 12)}`;
  if (naive) await prepareNaive(naive.pool, eventId, naive.stock);
  const tokens = mintTokens(contract, benchEmails(eventId, usersFor(load)));
  const result = await runJob(job(load, [targetOf(url)], `/api/events/${eventId}/apply`, tokens));
  return { load: summarize(result), result };
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
  timeline: TimelinePoint[];
  persisted: PersistPoint[];
}

export interface TerningRunOptions {
  /** No consumer runs during the load; new ones start after it and persist the backlog: their own speed. */
  backlog?: boolean;
  check?: boolean;
  settleMs?: number;
}

/** The load against terning on a fresh event, then watched until every winner is persisted. */
export async function terningRun(
  t: Terning, pool: Pool, stock: number, load: Load, o: TerningRunOptions = {},
): Promise<TerningRun & { result: JobResult }> {
  const eventId = await openEvent(t, stock);
  const tokens = mintTokens(t.config.jwt, benchEmails(eventId, usersFor(load)));
  const watch = new PersistWatch(pool, eventId);
  watch.start();
  if (o.backlog) await t.stopConsumers();
  const result = await runJob(job(load, t.urls.map(targetOf), `/api/events/${eventId}/apply`, tokens));
  const resumedAt = Date.now();
  if (o.backlog) await t.startConsumers();
  const load_ = summarize(result);
  const answers = answersOf(result);
  const settled = await watch.settle(answers.won, o.settleMs ?? 120_000);
  await watch.stop();
  let lastAnswer = 0;
  for (let i = 0; i < result.status.length; i++) if (result.status[i] === 202 || result.status[i] === 409) lastAnswer = Math.max(lastAnswer, result.end[i]!);
  const lastAnswerAt = result.startedAt + lastAnswer;
  const lastRowAt = settled ? watch.reached(answers.won) : undefined;
  // Rows are timed from the last look before the first of them (a small backlog may be persisted in one
  // chunk, between two looks); a backlog from when its consumers were started.
  const since = o.backlog ? resumedAt : 0;
  const firstIndex = watch.points.findIndex((p) => p.persisted > 0 && p.t >= since);
  const firstRowAt = firstIndex > 0 ? watch.points[firstIndex - 1]!.t : watch.points[firstIndex]?.t;
  const run: TerningRun = {
    eventId, stock, load: load_, won: answers.won, soldOut: answers.soldOut,
    firstApplyAt: load_.firstAt,
    lastAnswerAt,
    persistedAfterLastAnswerMs: lastRowAt && Math.max(0, lastRowAt - lastAnswerAt),
    persistedPerSecond: lastRowAt && firstRowAt && lastRowAt > firstRowAt ? Math.round((answers.won / (lastRowAt - firstRowAt)) * 1000) : undefined,
    peakPersistedPerSecond: peakRate(watch.points, 500),
    invariants: o.check === false ? undefined : await checkInvariants(pool, eventId, stock, answers),
    timeline: timeline(result, load.kind === 'burst' ? 50 : 250),
    persisted: watch.points,
  };
  return { ...run, result };
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
