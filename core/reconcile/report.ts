import { QueryTypes, type Sequelize } from 'sequelize';
import type { Redis } from 'ioredis';
import { eventKeys } from '../redis/keys.ts';
import { reservationOf } from '../redis/event-values.ts';
import { totalLag, type PartitionProgress } from '../kafka/offsets.ts';
import type { MysqlState } from '../restore/mysql-state.ts';
import { readRedisState } from './redis-state.ts';

/** Every difference between Redis, MySQL and Kafka for one event (docs/decide-at-arrival.md). */
export interface EventReport {
  eventId: string;
  totalStock: number;
  winnersMysql: number;
  released: number;
  /** Every winner Redis holds, confirmed or not. */
  winnersRedis: number;
  /** Winners Kafka has not confirmed yet. */
  reserved: number;
  /** Redis's remaining stock; null when the key is missing. */
  remaining: number | null;
  /** total - winners in Redis: a unit is taken at arrival. */
  expectedRemaining: number;
  /** remaining - expected: above 0 would oversell, below 0 leaves units held by nobody. */
  stockDifference: number;
  /** The restoring marker while a restore runs: the gate answers 503 meanwhile. */
  restoring: string | null;
  /** Confirmed winners in Redis with no row in MySQL: on their way while there is lag, else never persisted. */
  redisOnly: string[];
  /** Winners in MySQL that Redis does not know: they could win a second unit. */
  mysqlOnly: string[];
  /** Reservations older than the timeout: the sweeper gives them back once the group has no lag. */
  stuck: { person: string; ticket: number; reservedAt: number }[];
  ticketSeq: number;
  /** The highest ticket MySQL knows, won or released. */
  maxTicket: number;
  lag: PartitionProgress[];
  clean: boolean;
}

/** Large lists are asked about in pieces: an event may have hundreds of thousands of winners. */
const PIECE = 5_000;
const pieces = <T>(list: T[]) => Array.from({ length: Math.ceil(list.length / PIECE) }, (_, i) => list.slice(i * PIECE, (i + 1) * PIECE));

async function wonInMysql(sequelize: Sequelize, eventId: string, persons: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const piece of pieces(persons)) {
    const rows = await sequelize.query<{ person: string }>(
      "SELECT person FROM applications WHERE event_id = ? AND status = 'WON' AND person IN (?)", { replacements: [eventId, piece], type: QueryTypes.SELECT });
    for (const r of rows) found.add(r.person);
  }
  return found;
}

export interface ReportDeps {
  redis: Redis;
  sequelize: Sequelize;
  mysql: MysqlState;
  offsets: { progress(): Promise<PartitionProgress[]> };
}

/**
 * Compares an event's Redis state with MySQL (the source of truth) and the consumer group's lag. They
 * are read one after the other while the gate and the consumers go on, so a difference is checked once
 * more on its own before it is reported.
 */
export async function reportEvent(deps: ReportDeps, prefix: string, eventId: string, reservationTimeoutMs: number): Promise<EventReport | null> {
  const event = await deps.mysql.event(eventId);
  if (!event) return null;
  const lag = await deps.offsets.progress();
  const stored = new Set<string>();
  for await (const page of deps.mysql.winners(eventId)) for (const w of page) stored.add(w.person);
  const [redis, maxTicket, [released]] = await Promise.all([
    readRedisState(deps.redis, prefix, eventId),
    deps.mysql.maxTicket(eventId),
    deps.sequelize.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status = 'RELEASED'", { replacements: [eventId], type: QueryTypes.SELECT }),
  ]);

  let redisOnly = [...redis.decisions.keys()].filter((p) => !redis.reserved.has(p) && !stored.has(p));
  if (redisOnly.length) {
    const late = await wonInMysql(deps.sequelize, eventId, redisOnly);
    redisOnly = redisOnly.filter((p) => !late.has(p));
  }
  let mysqlOnly = [...stored].filter((p) => !redis.decisions.has(p));
  if (mysqlOnly.length) {
    const k = eventKeys(prefix, eventId);
    const again: (string | null)[] = [];
    for (const piece of pieces(mysqlOnly)) again.push(...(await deps.redis.hmget(k.decisions, ...piece)));
    mysqlOnly = mysqlOnly.filter((_, i) => again[i] === null);
  }
  const before = Date.now() - reservationTimeoutMs;
  const stuck = [...redis.reserved.entries()]
    .map(([person, v]) => ({ person, ticket: 0, reservedAt: Number.POSITIVE_INFINITY, ...reservationOf(v) }))
    .filter((r) => r.reservedAt <= before);

  const expectedRemaining = Math.max(0, event.total - redis.decisions.size);
  const stockDifference = (redis.remaining ?? 0) - expectedRemaining;
  return {
    eventId,
    totalStock: event.total,
    winnersMysql: stored.size,
    released: Number(released?.n ?? 0),
    winnersRedis: redis.decisions.size,
    reserved: redis.reserved.size,
    remaining: redis.remaining,
    expectedRemaining,
    stockDifference,
    restoring: redis.restoring,
    redisOnly,
    mysqlOnly,
    stuck,
    ticketSeq: redis.ticketSeq,
    maxTicket,
    lag,
    clean: redis.restoring === null && redis.remaining !== null && stockDifference === 0
      && (redisOnly.length === 0 || totalLag(lag) > 0) && mysqlOnly.length === 0 && stuck.length === 0 && redis.ticketSeq >= maxTicket,
  };
}
