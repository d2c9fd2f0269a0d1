import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { QueryTypes } from 'sequelize';
import type { Config } from '../core/config.ts';
import type { Stores } from '../core/stores.ts';
import { decodeApplications } from '../core/kafka/codec.ts';
import { listDeadLetters } from '../core/kafka/dead-letters.ts';
import { readBacklog } from '../core/reconcile/kafka-backlog.ts';
import { reportEvent } from '../core/reconcile/report.ts';
import type { BurstResult } from './burst.ts';

export interface Outcome {
  applicants: number;
  lost: number;
  duplicates: number;
  oversold: number;
  undersold: number;
  stuck: number;
  /** Why any of the above is not 0, one line each. */
  notes: string[];
}

export interface CheckContext { config: Config; stores: Stores; kafka: Kafka }

async function lag(ctx: CheckContext): Promise<number> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const topic = ctx.config.kafka.applicationsTopic;
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: ctx.config.kafka.groupId, topics: [topic] })]);
    return ends.reduce((n, e) => n + Number(BigInt(e.high) - BigInt(committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? '0')), 0);
  } finally {
    await admin.disconnect();
  }
}

async function rows(ctx: CheckContext, eventId: string) {
  return ctx.stores.sequelize.query<{ email: string; status: 'WON' | 'LOST' }>(
    'SELECT email, status FROM applications WHERE event_id = ?', { replacements: [eventId], type: QueryTypes.SELECT });
}

/** Waits until every accepted applicant has a row and the decider group has consumed everything. */
export async function settle(ctx: CheckContext, eventId: string, accepted: Set<string>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const stored = new Set((await rows(ctx, eventId)).map((r) => r.email));
      if ([...accepted].every((e) => stored.has(e)) && (await lag(ctx)) === 0) return true;
    } catch { /* a service may still be coming back */ }
    await sleep(500);
  }
  return false;
}

/**
 * The promises, checked against MySQL, Redis and Kafka once the system has settled: every accepted
 * applicant decided (lost), nobody decided twice or two ways (duplicates), winners = min(stock,
 * applicants) and Redis's remaining stock = stock - winners (oversold, undersold), nobody left in the
 * gate undecided (stuck); every winner's email queued or sent exactly once; every dead letter
 * accounted for (injected poison, or a copy of an application that was decided).
 */
export async function checkEvent(ctx: CheckContext, eventId: string, stock: number, b: BurstResult): Promise<Outcome> {
  const notes: string[] = [];
  const stored = await rows(ctx, eventId);
  const byEmail = new Map(stored.map((r) => [r.email, r.status]));
  const winners = stored.filter((r) => r.status === 'WON').map((r) => r.email);

  const lostEmails = [...b.accepted].filter((e) => !byEmail.has(e));
  if (lostEmails.length) notes.push(`${lostEmails.length} accepted applicants have no decision in MySQL`);
  if (b.gaveUp.size) notes.push(`${b.gaveUp.size} applicants never got an answer that settles it`);
  const applicants = new Set([...b.accepted, ...byEmail.keys()]).size;

  let duplicates = stored.length - byEmail.size;
  const outbox = await ctx.stores.sequelize.query<{ email: string; n: number | string; status: string }>(
    "SELECT email, COUNT(*) AS n, MIN(status) AS status FROM email_outbox WHERE event_id = ? AND kind = 'winner' GROUP BY email",
    { replacements: [eventId], type: QueryTypes.SELECT });
  const outboxBy = new Map(outbox.map((o) => [o.email, o]));
  const extraEmails = outbox.reduce((n, o) => n + Number(o.n) - 1, 0);
  const strayEmails = outbox.filter((o) => byEmail.get(o.email) !== 'WON').length;
  const noEmail = winners.filter((w) => !['queued', 'sent'].includes(outboxBy.get(w)?.status ?? '')).length;
  if (extraEmails || strayEmails) notes.push(`${extraEmails} extra winner emails, ${strayEmails} for people who did not win`);
  if (noEmail) notes.push(`${noEmail} winners have no email queued or sent`);
  duplicates += extraEmails + strayEmails;

  const report = await reportEvent({ redis: ctx.stores.redis, prefix: ctx.config.redisPrefix, sequelize: ctx.stores.sequelize }, eventId,
    await readBacklog(ctx.kafka, ctx.config.kafka.applicationsTopic, ctx.config.kafka.groupId));
  const orphans = report!.redisOnly.length;
  if (report!.differing.length) notes.push(`${report!.differing.length} people decided one way in Redis and another in MySQL`);
  if (report!.mysqlOnly.length) notes.push(`${report!.mysqlOnly.length} MySQL decisions missing from Redis (could be decided again)`);
  if (orphans) notes.push(`${orphans} decisions only in Redis, never written`);
  duplicates += report!.differing.length + report!.mysqlOnly.length;

  const remaining = report!.remaining;
  const expectedWinners = Math.min(stock, byEmail.size);
  const oversold = Math.max(0, winners.length - stock) + Math.max(0, (remaining ?? 0) - (stock - winners.length));
  const undersold = Math.max(0, expectedWinners - winners.length) + Math.max(0, stock - winners.length - (remaining ?? 0));
  if (oversold || undersold) notes.push(`stock ${stock}, ${winners.length} winners of ${byEmail.size}, Redis remaining ${remaining ?? 'MISSING'}`);

  const stuck = report!.stuck.length + report!.pending + Math.max(0, report!.lag.reduce((n, p) => n + p.lag, 0));
  if (stuck) notes.push(`${report!.stuck.length} stuck in the gate, ${report!.pending} pending, lag ${report!.lag.map((p) => p.lag).join('/')}`);

  return { applicants, lost: lostEmails.length + orphans + noEmail, duplicates, oversold, undersold, stuck, notes };
}

/** Dead letters for this run: each is injected poison, or a copy of an application that was decided. */
export async function checkDeadLetters(ctx: CheckContext, expectedPoison: number): Promise<{ letters: number; unaccounted: number; notes: string[] }> {
  const letters = await listDeadLetters(ctx.kafka, ctx.config.kafka.deadLetterTopic).catch(() => []);
  let poison = 0;
  let unaccounted = 0;
  for (const l of letters) {
    let apps;
    try {
      apps = decodeApplications(Buffer.from(l.value));
    } catch {
      poison++;
      continue;
    }
    for (const app of apps) {
      const [row] = await ctx.stores.sequelize.query('SELECT 1 FROM applications WHERE event_id = ? AND email = ?', { replacements: [app.eventId, app.email], type: QueryTypes.SELECT });
      const known = await ctx.stores.sequelize.query('SELECT 1 FROM events WHERE id = ?', { replacements: [app.eventId], type: QueryTypes.SELECT });
      if (known.length === 0) poison++; // an application for an event that does not exist: injected
      else if (!row) unaccounted++;
    }
  }
  const notes: string[] = [];
  if (poison !== expectedPoison) notes.push(`${poison} poison dead letters, ${expectedPoison} injected`);
  if (unaccounted) notes.push(`${unaccounted} dead-lettered applications were never decided`);
  return { letters: letters.length, unaccounted: unaccounted + Math.abs(poison - expectedPoison), notes };
}
