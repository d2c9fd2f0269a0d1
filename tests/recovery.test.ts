import test from 'ava';
import { backoffMs, persistOrIsolate, type RecoveryDeps, type RecoveryPolicy } from '../core/use-cases/persistence/recovery.ts';
import type { ReadDecision } from '../core/use-cases/persistence/persist.ts';
import { StockStateMissing } from '../core/domain/errors.ts';
import { eventNotFound } from '../core/platform/errors.ts';
import { createLogger } from '../core/platform/log.ts';

/**
 * What a consumer does when persisting fails, against fakes of its narrow ports: an outage is waited
 * out and blames nobody, a chunk that keeps failing is split so that only the bad decision fails, an
 * unknown event fails at once, a missing Redis state starts a restore. The real drivers' errors are in
 * tests/consumer.test.ts and the fault suite.
 */
const item = (ticket: number, eventId = 'ev'): ReadDecision => ({
  application: { eventId, person: `p${ticket}@x.test`, email: `p${ticket}@x.test`, ticket, decidedAt: 1_800_000_000_000 },
  partition: 0,
  offset: String(ticket),
});
const POLICY: RecoveryPolicy = { attempts: 2, retryBaseMs: 10 };
/** What ioredis throws when Redis is unreachable. */
const redisDown = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

/** `fail` decides, per call, what persisting the chunk throws (nothing: it is stored). */
function fakes(fail: (tickets: number[], call: number) => Error | undefined, opts: { stopAfterWaits?: number; restore?: boolean } = {}) {
  const calls: number[][] = [];
  const stored: number[][] = [];
  const waits: number[] = [];
  const restores: string[] = [];
  const deps: RecoveryDeps<ReadDecision> = {
    persist: async (items) => {
      const tickets = items.map((i) => i.application.ticket);
      calls.push(tickets);
      const e = fail(tickets, calls.length);
      if (e) throw e;
      stored.push(tickets);
    },
    wait: async (ms) => {
      waits.push(ms);
      return opts.stopAfterWaits === undefined || waits.length <= opts.stopAfterWaits;
    },
    log: createLogger('test', 'silent'),
    ...(opts.restore === false
      ? {}
      : {
          beginRestore: async (eventId: string) => {
            restores.push(eventId);
          },
        }),
  };
  return { deps, calls, stored, waits, restores };
}

test('an outage is waited out with back-off for as long as it lasts, past the attempts, and nobody is blamed', async (t) => {
  const f = fakes((_, call) => (call <= 5 ? redisDown() : undefined));
  const failed = await persistOrIsolate([item(1), item(2)], f.deps, POLICY);
  t.deepEqual(failed, []);
  t.deepEqual(
    f.calls,
    Array.from({ length: 6 }, () => [1, 2]),
    'the chunk whole each time: an outage never splits it',
  );
  t.deepEqual(
    f.waits,
    [0, 1, 2, 3, 4].map((a) => backoffMs(a, POLICY.retryBaseMs)),
  );
  t.deepEqual(f.waits, [10, 20, 40, 80, 160]);
});

test('a chunk that keeps failing is split: the bad decision fails alone with its error, its neighbours are stored', async (t) => {
  const f = fakes((tickets) => (tickets.includes(2) ? new Error('Data too long for column') : undefined));
  const chunk = [item(3), item(2), item(1)];
  const failed = await persistOrIsolate(chunk, f.deps, POLICY);
  t.deepEqual(
    failed,
    [{ ...item(2), error: 'Data too long for column', winner: true }],
    'a winner: its event is known, and it may have been told 202',
  );
  t.deepEqual(f.calls, [[3, 2, 1], [3, 2, 1], [1], [2], [2], [3]], 'the chunk `attempts` times, then one by one in ticket order');
  t.deepEqual(f.stored, [[1], [3]]);
  t.deepEqual(f.waits, [10, 10], 'a wait between attempts, none after the last');
});

test('an event MySQL does not know fails at once, without a retry, and is no winner', async (t) => {
  const f = fakes((tickets) => (tickets.includes(1) ? eventNotFound('ev-gone') : undefined));
  const failed = await persistOrIsolate([item(1, 'ev-gone')], f.deps, POLICY);
  t.deepEqual(failed, [{ ...item(1, 'ev-gone'), error: 'there is no event "ev-gone"', winner: false }]);
  t.deepEqual(f.calls, [[1]]);
  t.deepEqual(f.waits, []);
});

test('a chunk holding an unknown event is split at once, and only that decision fails', async (t) => {
  const f = fakes((tickets) => (tickets.includes(2) ? eventNotFound('ev-gone') : undefined));
  const failed = await persistOrIsolate([item(1), item(2, 'ev-gone'), item(3)], f.deps, POLICY);
  t.deepEqual(
    failed?.map((x) => [x.application.ticket, x.winner]),
    [[2, false]],
  );
  t.deepEqual(f.calls, [[1, 2, 3], [1], [2], [3]]);
  t.deepEqual(f.waits, []);
});

test('an event whose Redis state is missing is marked restoring and tried again at once', async (t) => {
  const f = fakes((_, call) => (call === 1 ? new StockStateMissing('ev') : undefined));
  const failed = await persistOrIsolate([item(1), item(2)], f.deps, POLICY);
  t.deepEqual(failed, []);
  t.deepEqual(f.restores, ['ev']);
  t.deepEqual(f.calls, [
    [1, 2],
    [1, 2],
  ]);
  t.deepEqual(f.waits, [], 'no back-off: the restore marker judges the chunk now');
});

test('a missing Redis state with no restorer is an outage: waited out, not dead-lettered', async (t) => {
  const f = fakes((_, call) => (call <= 3 ? new StockStateMissing('ev') : undefined), { restore: false });
  t.deepEqual(await persistOrIsolate([item(1), item(2)], f.deps, POLICY), []);
  t.deepEqual(f.calls.length, 4);
  t.deepEqual(f.waits, [10, 20, 40]);
});

test('a consumer that stops while an outage lasts leaves the chunk: null, nothing stored, nothing failed', async (t) => {
  const f = fakes(() => redisDown(), { stopAfterWaits: 2 });
  t.is(await persistOrIsolate([item(1), item(2)], f.deps, POLICY), null);
  t.deepEqual(f.stored, []);
  t.is(f.calls.length, 3);
});

test('an empty chunk is nothing to do', async (t) => {
  const f = fakes(() => redisDown());
  t.deepEqual(await persistOrIsolate([], f.deps, POLICY), []);
  t.deepEqual(f.calls, []);
});
