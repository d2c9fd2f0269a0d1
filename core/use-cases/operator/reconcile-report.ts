import { totalLag, type PartitionProgress } from '../../adapters/kafka/offsets.ts';
import type { ReservedUnit } from '../../domain/decision.ts';
import type { MysqlState } from '../../adapters/mysql/mysql-state.ts';
import type { RedisState } from '../../adapters/redis/event-state.ts';

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
  stuck: ReservedUnit[];
  ticketSeq: number;
  /** The highest ticket MySQL knows, won or released. */
  maxTicket: number;
  lag: PartitionProgress[];
  clean: boolean;
}

/** The report's sources, as narrow as it reads them (a fast test gives it fakes: tests/reconcile-report.test.ts). */
export interface ReportDeps {
  redisState: Pick<RedisState, 'read' | 'undecided'>;
  mysql: Pick<MysqlState, 'event' | 'winners' | 'maxTicket' | 'wonAmong' | 'releasedCount'>;
  offsets: { progress(): Promise<PartitionProgress[]> };
}

/**
 * Compares an event's Redis state with MySQL (the source of truth) and the consumer group's lag. They
 * are read one after the other while the gate and the consumers go on, so a difference is checked once
 * more on its own before it is reported.
 */
export async function reportEvent(deps: ReportDeps, eventId: string, reservationTimeoutMs: number): Promise<EventReport | null> {
  const event = await deps.mysql.event(eventId);
  if (!event) return null;
  const lag = await deps.offsets.progress();
  const stored = new Set<string>();
  for await (const page of deps.mysql.winners(eventId)) for (const w of page) stored.add(w.person);
  const [redis, maxTicket, released] = await Promise.all([
    deps.redisState.read(eventId),
    deps.mysql.maxTicket(eventId),
    deps.mysql.releasedCount(eventId),
  ]);

  let redisOnly = [...redis.decisions.keys()].filter((p) => !redis.reserved.has(p) && !stored.has(p));
  if (redisOnly.length) {
    const late = await deps.mysql.wonAmong(eventId, redisOnly);
    redisOnly = redisOnly.filter((p) => !late.has(p));
  }
  let mysqlOnly = [...stored].filter((p) => !redis.decisions.has(p));
  if (mysqlOnly.length) mysqlOnly = await deps.redisState.undecided(eventId, mysqlOnly);
  const before = Date.now() - reservationTimeoutMs;
  const stuck = [...redis.reserved.entries()].flatMap(([person, r]) => (r && r.reservedAt <= before ? [{ person, ...r }] : []));

  const expectedRemaining = Math.max(0, event.total - redis.decisions.size);
  const stockDifference = (redis.remaining ?? 0) - expectedRemaining;
  return {
    eventId,
    totalStock: event.total,
    winnersMysql: stored.size,
    released,
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
    clean:
      redis.restoring === null &&
      redis.remaining !== null &&
      stockDifference === 0 &&
      (redisOnly.length === 0 || totalLag(lag) > 0) &&
      mysqlOnly.length === 0 &&
      stuck.length === 0 &&
      redis.ticketSeq >= maxTicket,
  };
}
