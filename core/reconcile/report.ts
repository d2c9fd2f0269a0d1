import type { Redis } from 'ioredis';
import { QueryTypes, type Sequelize } from 'sequelize';
import { eventKeys } from '../redis/keys.ts';
import { MysqlState, type StoredDecision } from './mysql-state.ts';
import { readRedisState } from './redis-state.ts';
import { backlogKey, type Backlog, type PartitionLag } from './kafka-backlog.ts';

export interface RedisOnlyDecision { email: string; value: string; winner: boolean; waiting: boolean }

/** Every difference between Redis, MySQL and Kafka for one event. */
export interface EventReport {
  eventId: string;
  totalStock: number;
  winnersMysql: number;
  losersMysql: number;
  /** Winners decided in Redis whose message is still in Kafka: their rows are on the way. */
  winnersInFlight: number;
  /** Redis's remaining stock; null when the key is missing. */
  remaining: number | null;
  /** total - winners in MySQL - winners in flight. */
  expectedRemaining: number;
  /** remaining - expected: above 0 would oversell, below 0 leaves units unsold. */
  stockDifference: number;
  /** Decided in Redis, not in MySQL; `waiting`: a message for it is still in Kafka. */
  redisOnly: RedisOnlyDecision[];
  /** In MySQL, missing from Redis. */
  mysqlOnly: string[];
  /** In both, but not the same decision. */
  differing: { email: string; redis: string; mysql: string }[];
  /** In the gate, undecided, with a message still in Kafka. */
  pending: number;
  /** In the gate, undecided, and no message left in Kafka past the committed offset: never to be decided. */
  stuck: { email: string; ticket: number }[];
  ticketSeq: number;
  maxTicket: number;
  lag: PartitionLag[];
  /** Decisions and gate entries are consistent and the stock is right (pending and lag are normal). */
  clean: boolean;
}

const value = (d: StoredDecision) => `${d.decision}|${d.ticket}|${d.decidedAt}`;

/** Large lists are asked about in pieces: an event may have hundreds of thousands of applicants. */
const PIECE = 5_000;
const pieces = <T>(list: T[]) => Array.from({ length: Math.ceil(list.length / PIECE) }, (_, i) => list.slice(i * PIECE, (i + 1) * PIECE));

async function mysqlDecisions(sequelize: Sequelize, eventId: string, emails: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const piece of pieces(emails)) {
    const rows = await sequelize.query<{ email: string }>(
      'SELECT email FROM applications WHERE event_id = ? AND email IN (?)', { replacements: [eventId, piece], type: QueryTypes.SELECT });
    for (const r of rows) found.add(r.email);
  }
  return found;
}

async function hmget(redis: Redis, key: string, fields: string[]): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (const piece of pieces(fields)) out.push(...(await redis.hmget(key, ...piece)));
  return out;
}

/** An applicant admitted this recently may still be on the way to Kafka: not stuck yet. */
const STUCK_AFTER_MS = 60_000;

/**
 * Compares an event's Redis state with MySQL (the source of truth) and the Kafka backlog. The three are
 * read one after the other while deciding may go on, so every difference is checked once more on its
 * own before it is reported.
 */
export async function reportEvent(deps: { redis: Redis; prefix: string; sequelize: Sequelize }, eventId: string, backlog: Backlog): Promise<EventReport | null> {
  const mysql = new MysqlState(deps.sequelize);
  const event = await mysql.event(eventId);
  if (!event) return null;
  const stored = new Map<string, StoredDecision>();
  for await (const page of mysql.decisions(eventId)) for (const d of page) stored.set(d.email, d);
  const redis = await readRedisState(deps.redis, deps.prefix, eventId);
  const k = eventKeys(deps.prefix, eventId);

  let redisOnlyCandidates = [...redis.decisions.keys()].filter((e) => !stored.has(e));
  const lateRows = await mysqlDecisions(deps.sequelize, eventId, redisOnlyCandidates);
  redisOnlyCandidates = redisOnlyCandidates.filter((e) => !lateRows.has(e));
  const redisOnly = redisOnlyCandidates.map((email) => {
    const v = redis.decisions.get(email)!;
    return { email, value: v, winner: v.startsWith('W'), waiting: backlog.waiting.has(backlogKey(eventId, email)) };
  });

  let mysqlOnly = [...stored.keys()].filter((e) => !redis.decisions.has(e));
  if (mysqlOnly.length) {
    const again = await hmget(deps.redis, k.decisions, mysqlOnly);
    mysqlOnly = mysqlOnly.filter((_, i) => again[i] === null);
  }
  // Decision and ticket; not the time, which a DATETIME column without milliseconds would round.
  const sameDecision = (a: string, b: string) => a.split('|').slice(0, 2).join('|') === b.split('|').slice(0, 2).join('|');
  const differing = [...stored.values()]
    .filter((d) => redis.decisions.has(d.email) && !sameDecision(redis.decisions.get(d.email)!, value(d)))
    .map((d) => ({ email: d.email, redis: redis.decisions.get(d.email)!, mysql: value(d) }));

  const undecided = [...redis.applicants.entries()].filter(([email]) => !redis.decisions.has(email) && !stored.has(email));
  const settledBefore = Date.now() - STUCK_AFTER_MS;
  let stuckCandidates = undecided.filter(([email, v]) => !backlog.waiting.has(backlogKey(eventId, email)) && Number(v.split('|')[1]) < settledBefore);
  if (stuckCandidates.length) {
    const emails = stuckCandidates.map(([e]) => e);
    const [again, rows] = await Promise.all([hmget(deps.redis, k.decisions, emails), mysqlDecisions(deps.sequelize, eventId, emails)]);
    stuckCandidates = stuckCandidates.filter(([email], i) => again[i] === null && !rows.has(email));
  }
  const stuck = stuckCandidates.map(([email, v]) => ({ email, ticket: Number(v.split('|')[0]) }));

  const winnersMysql = [...stored.values()].filter((d) => d.decision === 'W').length;
  const winnersInFlight = redisOnly.filter((d) => d.winner && d.waiting).length;
  const expectedRemaining = Math.max(0, event.totalStock - winnersMysql - winnersInFlight);
  const stockDifference = (redis.remaining ?? 0) - expectedRemaining;
  const maxTicket = [...stored.values()].reduce((m, d) => Math.max(m, d.ticket), backlog.maxTicket.get(eventId) ?? 0);
  return {
    eventId,
    totalStock: event.totalStock,
    winnersMysql,
    losersMysql: stored.size - winnersMysql,
    winnersInFlight,
    remaining: redis.remaining,
    expectedRemaining,
    stockDifference,
    redisOnly,
    mysqlOnly,
    differing,
    pending: undecided.length - stuck.length,
    stuck,
    ticketSeq: redis.ticketSeq,
    maxTicket,
    lag: backlog.lag,
    clean: redis.remaining !== null && stockDifference === 0 && redisOnly.every((d) => d.waiting)
      && mysqlOnly.length === 0 && differing.length === 0 && stuck.length === 0 && redis.ticketSeq >= maxTicket,
  };
}
