import test from 'ava';
import { releaseStaleReservations, type StaleReservationsDeps } from '../core/use-cases/persistence/stale-reservations.ts';
import type { ReservedUnit } from '../core/domain/decision.ts';

/**
 * The sweeper's use case against fakes of its narrow ports: units revoked and not given back are
 * finished at once; a reservation unconfirmed past the timeout is given back only once the consumer
 * group has no lag (read after the reservations are listed); a restoring event is left to its restore
 * and helped on. The real scripts, MySQL and Kafka are in tests/sweeper.test.ts.
 */
const NOW = 1_800_000_000_000;
const TIMEOUT = 60_000;
const unit = (person: string, ticket: number, ago: number): ReservedUnit => ({ person, ticket, reservedAt: NOW - ago });

interface World {
  events?: string[];
  restoring?: string[];
  /** Per event, in pages. */
  revoked?: Record<string, ReservedUnit[][]>;
  reserved?: Record<string, ReservedUnit[][]>;
  lag?: number;
  /** Persons whose reservation was confirmed meanwhile: revoke.lua says no. */
  confirmed?: string[];
}

function fakes(w: World) {
  const steps: string[] = [];
  const deps: StaleReservationsDeps = {
    mysql: {
      liveEventIds: async (closedSince) => {
        steps.push(`live since ${NOW - closedSince.getTime()} ms`);
        return w.events ?? ['ev'];
      },
    },
    restorer: {
      isRestoring: async (eventId) => (w.restoring ?? []).includes(eventId),
      kick: (eventId) => {
        steps.push(`kick ${eventId}`);
      },
    },
    redisState: {
      revoked: async function* (eventId) {
        steps.push(`list revoked ${eventId}`);
        yield* w.revoked?.[eventId] ?? [];
      },
      reservations: async function* (eventId) {
        steps.push(`list reserved ${eventId}`);
        yield* w.reserved?.[eventId] ?? [];
      },
    },
    offsets: {
      progress: async () => {
        steps.push('read lag');
        return [{ partition: 0, committed: '5', high: String(5 + (w.lag ?? 0)), lag: w.lag ?? 0 }];
      },
    },
    scripts: {
      revoke: async (eventId, person, ticket, reservedBy) => {
        steps.push(`revoke ${eventId} ${person} ${ticket} by ${NOW - reservedBy!}`);
        return !(w.confirmed ?? []).includes(person);
      },
      release: async (eventId, ticket) => {
        steps.push(`release ${eventId} ${ticket}`);
        return true;
      },
    },
    records: {
      markReleased: async (eventId, person, ticket) => {
        steps.push(`RELEASED ${eventId} ${person} ${ticket}`);
      },
    },
  };
  return { deps, steps };
}

test('units revoked and not given back are finished first, with no look at the lag', async (t) => {
  const { deps, steps } = fakes({ revoked: { ev: [[unit('a', 1, 10)], [unit('b', 2, 20)]] }, lag: 100 });
  const sweep = await releaseStaleReservations(deps, TIMEOUT, NOW);
  t.deepEqual(sweep, {
    released: [
      { eventId: 'ev', ...unit('a', 1, 10) },
      { eventId: 'ev', ...unit('b', 2, 20) },
    ],
    waiting: 0,
  });
  t.deepEqual(
    steps,
    ['live since 86400000 ms', 'list revoked ev', 'RELEASED ev a 1', 'release ev 1', 'RELEASED ev b 2', 'release ev 2', 'list reserved ev'],
    'recorded RELEASED before the unit goes back; nothing revoked again; the lag not read with nothing stale',
  );
});

test('a stale reservation waits while the consumer group has lag: it may be in Kafka, about to be settled', async (t) => {
  const { deps, steps } = fakes({ reserved: { ev: [[unit('a', 1, TIMEOUT + 1), unit('b', 2, TIMEOUT + 5)]] }, lag: 3 });
  t.deepEqual(await releaseStaleReservations(deps, TIMEOUT, NOW), { released: [], waiting: 2 });
  t.false(
    steps.some((s) => /^(revoke|RELEASED|release) /.test(s)),
    steps.join('; '),
  );
});

test('with no lag, a reservation past the timeout is given back in order; a fresh one is left alone', async (t) => {
  const { deps, steps } = fakes({ reserved: { ev: [[unit('fresh', 1, TIMEOUT - 1), unit('stale', 2, TIMEOUT)]] }, lag: 0 });
  const sweep = await releaseStaleReservations(deps, TIMEOUT, NOW);
  t.deepEqual(sweep, { released: [{ eventId: 'ev', ...unit('stale', 2, TIMEOUT) }], waiting: 0 });
  t.deepEqual(
    steps.slice(steps.indexOf('list reserved ev')),
    ['list reserved ev', 'read lag', `revoke ev stale 2 by ${TIMEOUT}`, 'RELEASED ev stale 2', 'release ev 2'],
    "the lag read after the listing; revoked only if reserved at or before the timeout's edge, then recorded, then returned",
  );
});

test('a reservation confirmed meanwhile is not given back, nor reported', async (t) => {
  const { deps, steps } = fakes({ reserved: { ev: [[unit('a', 1, TIMEOUT * 2), unit('b', 2, TIMEOUT * 2)]] }, confirmed: ['a'] });
  const sweep = await releaseStaleReservations(deps, TIMEOUT, NOW);
  t.deepEqual(
    sweep.released.map((r) => r.person),
    ['b'],
  );
  t.false(steps.includes('RELEASED ev a 1'));
  t.false(steps.includes('release ev 1'));
});

test('an event being restored is left to its restore, which is helped on; the other events are swept', async (t) => {
  const { deps, steps } = fakes({
    events: ['ev-r', 'ev'],
    restoring: ['ev-r'],
    revoked: { 'ev-r': [[unit('x', 9, 10)]] },
    reserved: { 'ev-r': [[unit('y', 8, TIMEOUT * 2)]], ev: [[unit('a', 1, TIMEOUT * 2)]] },
  });
  const sweep = await releaseStaleReservations(deps, TIMEOUT, NOW);
  t.deepEqual(
    sweep.released.map((r) => [r.eventId, r.person]),
    [['ev', 'a']],
  );
  t.true(steps.includes('kick ev-r'));
  t.false(
    steps.some((s) => s.includes('ev-r') && s !== 'kick ev-r'),
    'nothing of the restoring event is read or changed',
  );
});
