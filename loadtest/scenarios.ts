import { randomUUID } from 'node:crypto';
import type { Pool } from 'mysql2/promise';
import type { Redis } from 'ioredis';
import { runJob } from './load/run-job.ts';
import { applyRequest, type Job, type JobResult } from './load/job.ts';
import type { Target } from './load/http-exchange.ts';
import { benchEmails, mintTokens, type TokenContract } from './tokens.ts';
import { summarize, timeline, type LoadSummary, type TimelinePoint } from './stats.ts';
import { DecisionWatch, type DecisionPoint } from './watch.ts';
import { checkInvariants, waitForRows, type Invariants } from './invariants.ts';
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
  /** Applicants the gate admitted (answered 202 or, for a repeat, 200). */
  applicants: number;
  firstApplyAt: number;
  last202At: number;
  lastDecisionAt?: number;
  /** From the last 202 to the moment every applicant had a final result (Redis), then rows (MySQL). */
  finalAfterLast202Ms?: number;
  firstApplyToLastDecisionMs?: number;
  storedAfterLast202Ms?: number;
  /** Decisions per second from the first decision to the last, and the best 500 ms window. */
  decisionsPerSecond?: number;
  peakDecisionsPerSecond?: number;
  invariants?: Invariants;
  timeline: TimelinePoint[];
  decisions: DecisionPoint[];
}

export interface TerningRunOptions {
  /** No consumer runs during the load; new ones start after it and drain the backlog: the decider's own speed. */
  backlog?: boolean;
  check?: boolean;
  settleMs?: number;
}

/** The load against terning on a fresh event, watched until everyone admitted has a final result. */
export async function terningRun(
  t: Terning, redis: Redis, pool: Pool, stock: number, load: Load, o: TerningRunOptions = {},
): Promise<TerningRun & { result: JobResult }> {
  const eventId = await openEvent(t, stock);
  const tokens = mintTokens(t.config.jwt, benchEmails(eventId, usersFor(load)));
  const watch = new DecisionWatch(redis, t.config.redisPrefix, eventId);
  watch.start();
  if (o.backlog) await t.stopConsumers();
  const result = await runJob(job(load, t.urls.map(targetOf), `/api/events/${eventId}/apply`, tokens));
  const resumedAt = Date.now();
  if (o.backlog) await t.startConsumers();
  const settled = await watch.settle(o.settleMs ?? 120_000);
  await watch.stop();
  const load_ = summarize(result);
  let applicants = 0;
  let last202 = 0;
  for (let i = 0; i < result.status.length; i++) {
    const s = result.status[i]!;
    if (s === 202 || s === 200) applicants++;
    if (s === 202) last202 = Math.max(last202, result.end[i]!);
  }
  const last202At = result.startedAt + last202;
  const decided = watch.latest?.decided ?? 0;
  const lastDecisionAt = settled ? watch.reached(decided) : undefined;
  // The decisions are timed from the last look at Redis before the first of them (a small backlog
  // may be decided in one chunk, between two looks).
  const since = o.backlog ? resumedAt : 0;
  const firstIndex = watch.points.findIndex((p) => p.decided > 0 && p.t >= since);
  const firstDecisionAt = firstIndex > 0 ? watch.points[firstIndex - 1]!.t : watch.points[firstIndex]?.t;
  const storedAt = o.check === false ? undefined : await waitForRows(pool, eventId, applicants, 60_000);
  const run: TerningRun = {
    eventId, stock, load: load_, applicants,
    firstApplyAt: load_.firstAt,
    last202At,
    lastDecisionAt,
    finalAfterLast202Ms: lastDecisionAt && Math.max(0, lastDecisionAt - last202At),
    firstApplyToLastDecisionMs: lastDecisionAt && lastDecisionAt - load_.firstAt,
    storedAfterLast202Ms: storedAt && Math.max(0, storedAt - last202At),
    // A backlog is timed until its rows are in MySQL: Redis shows a chunk's decisions before its write.
    decisionsPerSecond: o.backlog
      ? (storedAt && firstDecisionAt && Math.round((applicants / Math.max(1, storedAt - firstDecisionAt)) * 1000))
      : (lastDecisionAt && firstDecisionAt && lastDecisionAt > firstDecisionAt
        ? Math.round((decided / (lastDecisionAt - firstDecisionAt)) * 1000)
        : undefined),
    peakDecisionsPerSecond: peakRate(watch.points, 500),
    invariants: o.check === false ? undefined : await checkInvariants(pool, eventId, stock, applicants),
    timeline: timeline(result, load.kind === 'burst' ? 50 : 250),
    decisions: watch.points,
  };
  return { ...run, result };
}

function peakRate(points: DecisionPoint[], windowMs: number): number {
  let best = 0;
  let j = 0;
  for (let i = 0; i < points.length; i++) {
    while (points[i]!.t - points[j]!.t > windowMs) j++;
    const span = points[i]!.t - points[j]!.t;
    if (span >= windowMs * 0.8) best = Math.max(best, ((points[i]!.decided - points[j]!.decided) / span) * 1000);
  }
  return Math.round(best);
}
