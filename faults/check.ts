import { setTimeout as sleep } from 'node:timers/promises';
import { groupProgress, totalLag } from '../core/adapters/kafka/offsets.ts';
import type { Kafka } from 'kafkajs';
import { QueryTypes } from 'sequelize';
import type { Config } from '../core/platform/config.ts';
import type { Stores } from '../core/stores.ts';
import { eventKeys } from '../core/adapters/redis/keys.ts';
import { decisionOf } from '../core/adapters/redis/event-values.ts';
import { decodeApplications } from '../core/adapters/kafka/codec.ts';
import { listDeadLetters } from '../core/adapters/kafka/dead-letters.ts';
import type { BurstResult } from './burst.ts';
import { readEvent } from './topic.ts';

export interface Outcome {
  applicants: number;
  /** A 202 with no row, a decided record with no row, a winner with no email, a unit in Redis nobody persisted. */
  lost: number;
  duplicates: number;
  oversold: number;
  /** Units held by nobody, or people told SOLD_OUT while units were left that nobody gave back. */
  undersold: number;
  /** Winners who are not the first tickets handed out (released ones aside). */
  outOfOrder: number;
  /** People who never got an answer and yet hold something. */
  unanswered: number;
  /** Lag, reservations or a restore left over once everything should have settled. */
  stuck: number;
  /** Why any of the above is not 0, one line each. */
  notes: string[];
}

export interface CheckContext {
  config: Config;
  stores: Stores;
  kafka: Kafka;
}

interface Row {
  person: string;
  email: string;
  status: 'WON' | 'RELEASED';
  ticket: number;
}

export async function lag(ctx: CheckContext): Promise<number> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    return totalLag(await groupProgress(admin, ctx.config.kafka.groupId, ctx.config.kafka.applicationsTopic));
  } finally {
    await admin.disconnect();
  }
}

export async function rows(ctx: CheckContext, eventId: string): Promise<Row[]> {
  return ctx.stores.sequelize.query<Row>('SELECT person, email, status, ticket FROM applications WHERE event_id = ?', {
    replacements: [eventId],
    type: QueryTypes.SELECT,
  });
}

/** The event's state in Redis: what the gate holds once everything has settled. */
export async function redisState(ctx: CheckContext, eventId: string) {
  const k = eventKeys(ctx.config.redisPrefix, eventId);
  const [remaining, reserved, decisions, restoring, total, stamped, server, replication] = await Promise.all([
    ctx.stores.redis.get(k.remaining),
    ctx.stores.redis.hgetall(k.reserved),
    ctx.stores.redis.hgetall(k.decisions),
    ctx.stores.redis.exists(k.restoring),
    ctx.stores.redis.hget(k.meta, 'total'),
    ctx.stores.redis.hget(k.meta, 'server'),
    ctx.stores.redis.info('server'),
    ctx.stores.redis.info('replication'),
  ]);
  // The event's state as the gate takes it: stamped by this server (event-state.lua's this_server, run_id
  // and master_replid). After a failover the promoted replica holds the event stamped by the old primary,
  // without the primary's last writes, until a process notices and restores it; the gate treats it as
  // unknown meanwhile, so its raw keys are nobody's answer yet.
  const here = `${/run_id:(\w+)/.exec(server)?.[1]}/${/master_replid:(\w+)/.exec(replication)?.[1]}`;
  const won = new Map<string, number>();
  for (const [person, v] of Object.entries(decisions)) {
    const d = decisionOf(v);
    if (d) won.set(person, d.ticket);
  }
  return {
    remaining: remaining === null ? undefined : Number(remaining),
    reserved: Object.keys(reserved),
    won,
    restoring: restoring > 0,
    total: total === null ? undefined : Number(total),
    whole: stamped === here,
  };
}

/**
 * Waits until every person told WON has their row, the consumer group has persisted the whole topic,
 * the event's Redis state is this server's (not a promoted replica's copy of the old primary's, waiting
 * to be restored), no reservation is left in Redis (the sweeper gives back those Kafka never got) and no
 * restore is under way. False when that did not happen in time.
 */
export async function settle(ctx: CheckContext, eventId: string, winners: Iterable<string>, timeoutMs: number): Promise<boolean> {
  const told = [...winners];
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const won = new Set((await rows(ctx, eventId)).filter((r) => r.status === 'WON').map((r) => r.person));
      const redis = await redisState(ctx, eventId);
      if (told.every((p) => won.has(p)) && redis.whole && redis.reserved.length === 0 && !redis.restoring && (await lag(ctx)) === 0)
        return true;
    } catch {
      /* a service may still be coming back */
    }
    await sleep(500);
  }
  return false;
}

/**
 * The promises, checked against MySQL, Redis and the applications topic read back to its end, once the
 * system has settled (see settle): every 202 has its row, every decided record has its row and a void
 * one (released, or decided by a Redis that was then lost) was never answered 202; winners are exactly
 * the first tickets handed out, released ones aside; remaining stock + winners = total; nobody holds a
 * unit without having been told; every winner's email queued or sent exactly once.
 */
export async function checkEvent(ctx: CheckContext, eventId: string, total: number, b: BurstResult): Promise<Outcome> {
  const notes: string[] = [];
  const stored = await rows(ctx, eventId);
  const redis = await redisState(ctx, eventId);
  const records = await readEvent(ctx.kafka, ctx.config.kafka.applicationsTopic, eventId);
  const byPerson = new Map(stored.map((r) => [r.person, r]));
  const winners = stored.filter((r) => r.status === 'WON');
  const released = new Set(stored.filter((r) => r.status === 'RELEASED').map((r) => r.ticket));
  const wonRow = (person: string, ticket: number) => byPerson.get(person)?.status === 'WON' && byPerson.get(person)!.ticket === ticket;

  // Every 202 has its row, with the ticket the person was told.
  const told = [...b.won].filter(([person, ticket]) => !wonRow(person, ticket));
  if (told.length)
    notes.push(
      `${told.length} told WON have no WON row with their ticket (e.g. ${told[0]![0]} ticket ${told[0]![1]}: ${JSON.stringify(byPerson.get(told[0]![0]) ?? null)})`,
    );

  // Every record Redis or a 202 says was decided has its row; the others are void and nobody was told.
  let unpersisted = 0;
  let voidTold = 0;
  const tickets = new Set<number>([...winners.map((r) => r.ticket), ...released, ...b.won.values()]);
  for (const a of records.flatMap((r) => r.applications)) {
    tickets.add(a.ticket);
    if (wonRow(a.person, a.ticket)) continue;
    if (b.won.get(a.person) === a.ticket) voidTold++;
    else if (redis.won.get(a.person) === a.ticket) unpersisted++;
    else released.add(a.ticket);
  }
  if (unpersisted) notes.push(`${unpersisted} records decided in Redis have no row`);
  if (voidTold) notes.push(`${voidTold} void records had been answered 202`);

  // Redis and MySQL agree on every winner: one that only Redis has holds a unit nobody will persist;
  // one that only MySQL has could win a second unit.
  const redisOnly = [...redis.won].filter(([person, ticket]) => !wonRow(person, ticket)).length;
  const mysqlOnly = winners.filter((r) => redis.won.get(r.person) !== r.ticket).length;
  if (redisOnly) notes.push(`${redisOnly} winners only in Redis, never persisted`);
  if (mysqlOnly) notes.push(`${mysqlOnly} MySQL winners missing from Redis (could win again)`);

  // Winner emails: one per winner, to the address they typed, none for anyone else.
  const outbox = await ctx.stores.sequelize.query<{ email: string; n: number | string; status: string }>(
    "SELECT email, COUNT(*) AS n, MIN(status) AS status FROM email_outbox WHERE event_id = ? AND kind = 'winner' GROUP BY email",
    { replacements: [eventId], type: QueryTypes.SELECT },
  );
  const outboxBy = new Map(outbox.map((o) => [o.email, o]));
  const winnerEmails = new Set(winners.map((w) => w.email));
  const extraEmails = outbox.reduce((n, o) => n + Number(o.n) - 1, 0);
  const strayEmails = outbox.filter((o) => !winnerEmails.has(o.email)).length;
  const noEmail = winners.filter((w) => !['queued', 'sent'].includes(outboxBy.get(w.email)?.status ?? '')).length;
  if (extraEmails || strayEmails) notes.push(`${extraEmails} extra winner emails, ${strayEmails} for people who did not win`);
  if (noEmail) notes.push(`${noEmail} winners have no email queued or sent`);

  const duplicateTickets = winners.length - new Set(winners.map((w) => w.ticket)).size;
  const duplicatePeople = stored.length - byPerson.size;
  if (duplicateTickets || duplicatePeople) notes.push(`${duplicateTickets} tickets won twice, ${duplicatePeople} people with two rows`);

  // Winners are exactly the first tickets handed out, once the released ones are set aside.
  const first = new Set(
    [...tickets]
      .filter((t) => !released.has(t))
      .sort((x, y) => x - y)
      .slice(0, winners.length),
  );
  const outOfOrder = winners.filter((w) => !first.has(w.ticket)).length;
  if (outOfOrder)
    notes.push(`${outOfOrder} winners are not among the first ${winners.length} tickets handed out (${released.size} released)`);

  // remaining + winners = total: no unit held by nobody, none given twice.
  const remaining = redis.remaining;
  if (redis.total !== undefined && redis.total !== total) notes.push(`Redis says the total is ${redis.total}, not ${total}`);
  const oversold = Math.max(0, winners.length - total) + Math.max(0, (remaining ?? 0) + winners.length - total);
  const heldByNobody = Math.max(0, total - winners.length - (remaining ?? 0));
  // SOLD_OUT is told only when every unit was taken: a unit left now must be one given back since.
  const soldOutEarly = b.soldOut.size ? Math.max(0, (remaining ?? 0) - released.size) : 0;
  if (oversold || heldByNobody || soldOutEarly)
    notes.push(
      `total ${total}, ${winners.length} winners, Redis remaining ${remaining ?? 'MISSING'}, ${released.size} released, ${b.soldOut.size} told SOLD_OUT`,
    );

  // Someone who never got an answer may hold nothing.
  const holding = [...b.unanswered].filter(
    (p) => byPerson.get(p)?.status === 'WON' || redis.won.has(p) || redis.reserved.includes(p),
  ).length;
  if (holding) notes.push(`${holding} of ${b.unanswered.size} never answered hold a unit`);
  else if (b.unanswered.size) notes.push(`(${b.unanswered.size} left without an answer, holding nothing)`);

  const leftLag = await lag(ctx);
  const stuck = redis.reserved.length + (redis.restoring ? 1 : 0) + leftLag + (remaining === undefined ? 1 : 0);
  if (stuck)
    notes.push(
      `${redis.reserved.length} reservations left, restoring ${redis.restoring}, lag ${leftLag}, remaining ${remaining ?? 'MISSING'}`,
    );

  return {
    applicants: b.won.size + b.soldOut.size + b.unanswered.size,
    lost: told.length + unpersisted + voidTold + redisOnly + noEmail,
    duplicates: mysqlOnly + extraEmails + strayEmails + duplicateTickets + duplicatePeople,
    oversold,
    undersold: heldByNobody + soldOutEarly,
    outOfOrder,
    unanswered: holding,
    stuck,
    notes,
  };
}

/** Dead letters for this run: each is injected poison, or a copy of an application that was persisted. */
export async function checkDeadLetters(
  ctx: CheckContext,
  expectedPoison: number,
): Promise<{ letters: number; unaccounted: number; notes: string[] }> {
  let letters;
  try {
    letters = await listDeadLetters(ctx.kafka, ctx.config.kafka.deadLetterTopic);
  } catch (e) {
    // Letters that could not be read are not "no letters": the run fails.
    return { letters: 0, unaccounted: 1, notes: [`the dead-letter topic could not be read: ${(e as Error).message}`] };
  }
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
      const [row] = await ctx.stores.sequelize.query('SELECT 1 FROM applications WHERE event_id = ? AND person = ?', {
        replacements: [app.eventId, app.person],
        type: QueryTypes.SELECT,
      });
      const known = await ctx.stores.sequelize.query('SELECT 1 FROM events WHERE id = ?', {
        replacements: [app.eventId],
        type: QueryTypes.SELECT,
      });
      if (known.length === 0)
        poison++; // an application for an event that does not exist: injected
      else if (!row) unaccounted++;
    }
  }
  const notes: string[] = [];
  if (poison !== expectedPoison) notes.push(`${poison} poison dead letters, ${expectedPoison} injected`);
  if (unaccounted) notes.push(`${unaccounted} dead-lettered applications were never persisted`);
  return { letters: letters.length, unaccounted: unaccounted + Math.abs(poison - expectedPoison), notes };
}
