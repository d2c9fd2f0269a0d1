import test from 'ava';
import { reportEvent, type ReportDeps } from '../core/use-cases/operator/reconcile-report.ts';
import type { PartitionProgress } from '../core/adapters/kafka/offsets.ts';
import type { RedisEventState } from '../core/adapters/redis/event-state.ts';
import type { WinnerValue } from '../core/adapters/redis/event-values.ts';

/**
 * `terning reconcile`'s report against fakes of its narrow ports: every difference between Redis, MySQL
 * and Kafka's lag it is there to find, and none where there is none. The real stores are in
 * tests/reconcile.test.ts.
 */
const TIMEOUT_MS = 60_000;
const won = (ticket: number): WinnerValue => ({ ticket, decidedAt: 1_800_000_000_000 + ticket });

interface World {
  total?: number;
  /** Confirmed or not, by person: each person's ticket. */
  redisWinners?: Record<string, number>;
  /** Unconfirmed, by person: how long ago reserved. */
  reserved?: Record<string, number>;
  remaining?: number | null;
  ticketSeq?: number;
  restoring?: string | null;
  mysqlWinners?: string[];
  /** Persisted between the report's reads: MySQL holds them when asked again. */
  persistedSince?: string[];
  /** Decided in Redis between the report's reads. */
  decidedSince?: string[];
  maxTicket?: number;
  released?: number;
  lag?: number;
}

function deps(w: World, now = Date.now()): ReportDeps & { asked: string[] } {
  const asked: string[] = [];
  const redisWinners = w.redisWinners ?? { a: 1, b: 2 };
  const state: RedisEventState = {
    remaining: w.remaining === undefined ? (w.total ?? 5) - Object.keys(redisWinners).length : w.remaining,
    ticketSeq: w.ticketSeq ?? Object.keys(redisWinners).length,
    decisions: new Map(Object.entries(redisWinners).map(([p, t]) => [p, won(t)])),
    reserved: new Map(Object.entries(w.reserved ?? {}).map(([p, ago]) => [p, { ticket: redisWinners[p]!, reservedAt: now - ago }])),
    restoring: w.restoring ?? null,
  };
  const mysqlWinners = w.mysqlWinners ?? Object.keys(redisWinners).filter((p) => !(w.reserved ?? {})[p]);
  const lag: PartitionProgress[] = [{ partition: 0, committed: '10', high: String(10 + (w.lag ?? 0)), lag: w.lag ?? 0 }];
  return {
    asked,
    redisState: {
      read: async () => state,
      undecided: async (_e, persons) => {
        asked.push(`undecided ${persons.join(',')}`);
        return persons.filter((p) => !(w.decidedSince ?? []).includes(p));
      },
    },
    mysql: {
      event: async (id) => (id === 'ev' ? { id, state: 'open', opensAt: null, closesAt: null, total: w.total ?? 5 } : null),
      winners: async function* () {
        // In pages, as MySQL gives them.
        yield mysqlWinners.slice(0, 1).map((person, i) => ({ person, ticket: i + 1, decidedAt: 0 }));
        yield mysqlWinners.slice(1).map((person, i) => ({ person, ticket: i + 2, decidedAt: 0 }));
      },
      maxTicket: async () => w.maxTicket ?? Object.keys(redisWinners).length,
      wonAmong: async (_e, persons) => {
        asked.push(`wonAmong ${persons.join(',')}`);
        return new Set(persons.filter((p) => (w.persistedSince ?? []).includes(p)));
      },
      releasedCount: async () => w.released ?? 0,
    },
    offsets: { progress: async () => lag },
  };
}

test('an unknown event has no report', async (t) => {
  t.is(await reportEvent(deps({}), 'ev-none', TIMEOUT_MS), null);
});

test('Redis and MySQL that agree, with the stock as the winners leave it, are clean; nothing is asked twice', async (t) => {
  const d = deps({ total: 5, redisWinners: { a: 1, b: 2 }, released: 1 });
  const r = (await reportEvent(d, 'ev', TIMEOUT_MS))!;
  t.like(r, {
    eventId: 'ev',
    totalStock: 5,
    winnersMysql: 2,
    winnersRedis: 2,
    released: 1,
    reserved: 0,
    remaining: 3,
    expectedRemaining: 3,
    stockDifference: 0,
    clean: true,
  });
  t.deepEqual([r.redisOnly, r.mysqlOnly, r.stuck], [[], [], []]);
  t.deepEqual(d.asked, []);
});

test('a stock above what the winners leave would oversell; below it, units are held by nobody', async (t) => {
  const over = (await reportEvent(deps({ total: 5, remaining: 4 }), 'ev', TIMEOUT_MS))!;
  t.like(over, { expectedRemaining: 3, stockDifference: 1, clean: false });
  const under = (await reportEvent(deps({ total: 5, remaining: 2 }), 'ev', TIMEOUT_MS))!;
  t.like(under, { stockDifference: -1, clean: false });
  const missing = (await reportEvent(deps({ total: 5, remaining: null }), 'ev', TIMEOUT_MS))!;
  t.like(missing, { remaining: null, clean: false }, 'a missing stock key is no clean state');
});

test('a confirmed winner only Redis knows is on its way while the group has lag, and a difference once it has none', async (t) => {
  const world: World = { redisWinners: { a: 1, b: 2, c: 3 }, mysqlWinners: ['a', 'b'] };
  const lagging = (await reportEvent(deps({ ...world, lag: 4 }), 'ev', TIMEOUT_MS))!;
  t.like(lagging, { redisOnly: ['c'], clean: true });
  const drained = deps({ ...world, lag: 0 });
  const never = (await reportEvent(drained, 'ev', TIMEOUT_MS))!;
  t.like(never, { redisOnly: ['c'], clean: false });
  t.deepEqual(drained.asked, ['wonAmong c'], 'asked once more, on its own, before it is reported');
});

test('a winner persisted while the report read is no difference', async (t) => {
  const r = (await reportEvent(
    deps({ redisWinners: { a: 1, b: 2, c: 3 }, mysqlWinners: ['a', 'b'], persistedSince: ['c'] }),
    'ev',
    TIMEOUT_MS,
  ))!;
  t.like(r, { redisOnly: [], clean: true });
});

test('an unconfirmed winner is no Redis-only winner; one reserved longer than the timeout is stuck', async (t) => {
  const d = deps({ redisWinners: { a: 1, b: 2, c: 3 }, reserved: { b: 1_000, c: TIMEOUT_MS + 1_000 } });
  const r = (await reportEvent(d, 'ev', TIMEOUT_MS))!;
  t.is(r.reserved, 2);
  t.deepEqual(r.redisOnly, []);
  t.deepEqual(
    r.stuck.map((s) => [s.person, s.ticket]),
    [['c', 3]],
  );
  t.false(r.clean);
  t.deepEqual(d.asked, []);
});

test('a winner MySQL holds and Redis does not know could win twice: reported, unless Redis decided it meanwhile', async (t) => {
  const d = deps({ redisWinners: { a: 1 }, mysqlWinners: ['a', 'x', 'y'], decidedSince: ['y'], maxTicket: 1 });
  const r = (await reportEvent(d, 'ev', TIMEOUT_MS))!;
  t.deepEqual(r.mysqlOnly, ['x']);
  t.false(r.clean);
  t.deepEqual(d.asked, ['undecided x,y']);
});

test("a ticket sequence behind MySQL's highest ticket, or a restore under way, is not clean", async (t) => {
  const behind = (await reportEvent(deps({ ticketSeq: 1, maxTicket: 2 }), 'ev', TIMEOUT_MS))!;
  t.like(behind, { ticketSeq: 1, maxTicket: 2, stockDifference: 0, clean: false });
  const restoring = (await reportEvent(deps({ restoring: 'marker' }), 'ev', TIMEOUT_MS))!;
  t.like(restoring, { restoring: 'marker', clean: false });
});
