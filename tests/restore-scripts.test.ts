import test from 'ava';
import { luaScripts } from './support/lua.ts';
import { RestoreScripts } from '../core/adapters/redis/restore-scripts.ts';
import type { Scripts } from '../core/adapters/redis/scripts.ts';
import type { EventSettings } from '../core/domain/event.ts';
import { Restorer } from '../core/use-cases/persistence/restorer.ts';
import type { MysqlState } from '../core/adapters/mysql/mysql-state.ts';
import type { Winner } from '../core/domain/decision.ts';
import { testLog } from './support/system.ts';

// The Lua scripts that put events into Redis and restore them, against real Redis under random prefixes.
const { redis, scripts, server } = luaScripts(test, 'restore');

const NOW = 1_800_000_000_000;
const settings: EventSettings = { state: 'open', opensAt: null, closesAt: null, total: 5 };
const ENDS = { 0: '7', 1: '3' };

function both(): { s: Scripts; r: RestoreScripts; k: ReturnType<Scripts['keys']> } {
  const s = scripts();
  const k = s.keys('e');
  return { s, r: new RestoreScripts(redis, k.meta.slice(0, k.meta.indexOf(':{'))), k };
}

test('put-event.lua: a new event starts from its total; an existing one without stock is not rebuilt; none while restoring', async (t) => {
  const { r, k } = both();
  t.is(await r.loadEvent('e', settings), 'missing');
  t.is(await redis.exists(k.meta), 0, 'nothing written: the gate says NO_EVENT until it is restored');
  t.is(await r.loadEvent('e', settings, true), 5);
  await redis.set(k.remaining, 2);
  t.is(await r.loadEvent('e', { ...settings, state: 'closed', total: 9 }), 2, 'the stock in Redis is kept');
  t.deepEqual(await redis.hgetall(k.meta), { state: 'closed', total: '5', server: await server() }, 'and the total set-stock.lua moves');
  await redis.del(k.remaining);
  await r.beginRestore('e', ENDS, NOW);
  t.is(await r.loadEvent('e', settings, true), 'restoring');
});

test('begin-restore.lua: marks a missing event once, wiping what is left; a whole one only when forced', async (t) => {
  const { r, k } = both();
  await r.loadEvent('e', settings, true);
  t.deepEqual(await r.beginRestore('e', ENDS, NOW), { kind: 'whole' });
  await redis.del(k.remaining);
  await redis.hset(k.decisions, 'a', `W|1|${NOW}`);
  await redis.hset(k.reserved, 'a', `1|${NOW}`);
  const begun = await r.beginRestore('e', ENDS, NOW);
  t.deepEqual(begun, {
    kind: 'begun',
    marker: { raw: `{"ends":{"0":"7","1":"3"},"at":${NOW},"gen":0}`, ends: { 0: '7', 1: '3' }, at: NOW, gen: 0 },
  });
  t.deepEqual(await redis.exists(k.meta, k.remaining, k.decisions, k.reserved), 0, 'the restore rebuilds from MySQL alone');
  t.deepEqual(await r.beginRestore('e', { 0: '9', 1: '9' }, NOW + 1), { kind: 'restoring', marker: (begun as { marker: unknown }).marker });
  t.deepEqual((await r.marker('e'))?.ends, ENDS);
});

test('begin-restore.lua forced: a whole event is dropped for a begin with offsets read after; a restore under way starts over with its offsets', async (t) => {
  const { s, r, k } = both();
  await r.loadEvent('e', settings, true);
  t.is((await s.apply('e', 'a', NOW)).kind, 'new');
  t.deepEqual(await r.beginRestore('e', ENDS, NOW, true), { kind: 'dropped', gen: 0 }, 'the state dropped was the first');
  t.deepEqual(
    await redis.exists(k.meta, k.remaining, k.decisions, k.reserved, k.restoring),
    0,
    'no marker yet: its offsets are read after the drop',
  );
  t.deepEqual(await s.confirm('e', [{ person: 'a', ticket: 1 }]), [false], 'no confirm succeeds after the drop');
  t.deepEqual(await s.apply('e', 'a', NOW), { kind: 'no-event' }, 'nothing is decided: the gate asks for the event to be loaded');
  t.is((await r.beginRestore('e', ENDS, NOW)).kind, 'begun');
  t.deepEqual(await s.apply('e', 'a', NOW), { kind: 'restoring' }, 'the gate answers RESTORING, even to a winner');
  await redis.hset(k.decisions, 'b', `W|2|${NOW}`);
  const again = await r.beginRestore('e', { 0: '99' }, NOW + 5, true);
  t.deepEqual(again, { kind: 'begun', marker: { raw: `{"ends":{"0":"7","1":"3"},"at":${NOW + 5}}`, ends: ENDS, at: NOW + 5 } });
  t.is(await redis.exists(k.decisions), 0, 'what the first restore had loaded is dropped');
});

test('restore-winners.lua and finish-restore.lua: winners, stock = total - winners, tickets, gate open; only under their own marker', async (t) => {
  const { s, r, k } = both();
  await redis.set(k.ticketSeq, 4);
  const begun = await r.beginRestore('e', ENDS, NOW);
  if (begun.kind !== 'begun') return t.fail();
  const stale = { ...begun.marker, raw: begun.marker.raw.replace(String(NOW), String(NOW - 1)) };
  t.false(await r.restoreWinners('e', stale, [{ person: 'x', ticket: 9, decidedAt: NOW }]));
  t.true(
    await r.restoreWinners('e', begun.marker, [
      { person: 'a', ticket: 2, decidedAt: NOW - 2 },
      { person: 'b', ticket: 3, decidedAt: NOW - 1 },
    ]),
  );
  t.true(await r.restoreWinners('e', begun.marker, [{ person: 'c', ticket: 6, decidedAt: NOW }]));
  await redis.hset(k.reserved, 'z', `5|${NOW}`);
  t.deepEqual(await r.finishRestore('e', stale, { ...settings, maxTicket: 7, gen: 1, winners: 3 }), {
    finished: false,
    remaining: 0,
    winners: 0,
    tickets: 0,
  });
  t.deepEqual(await r.finishRestore('e', begun.marker, { ...settings, closesAt: NOW + 60_000, maxTicket: 7, gen: 1, winners: 3 }), {
    finished: true,
    remaining: 2,
    winners: 3,
    tickets: 7,
  });
  t.deepEqual(await redis.hgetall(k.decisions), { a: `W|2|${NOW - 2}`, b: `W|3|${NOW - 1}`, c: `W|6|${NOW}` });
  t.is(await redis.get(k.ticketSeq), '7', 'the sequence is past every ticket MySQL knows');
  t.deepEqual(await redis.exists(k.reserved, k.restoring), 0);
  t.deepEqual(await redis.hgetall(k.meta), { state: 'open', total: '5', closesAt: String(NOW + 60_000), server: await server(), gen: '1' });
  t.deepEqual(await s.apply('e', 'a', NOW), { kind: 'decided', ticket: 2, decidedAt: NOW - 2 });
  t.deepEqual(await s.apply('e', 'd', NOW), { kind: 'new', ticket: 8, decidedAt: NOW, gen: 1 }, 'its decisions name the new state');
  t.false(
    await r.restoreWinners('e', begun.marker, [{ person: 'x', ticket: 9, decidedAt: NOW }]),
    'a late chunk of a finished restore is refused',
  );
  t.deepEqual(await r.finishRestore('e', begun.marker, { ...settings, maxTicket: 0, gen: 1, winners: 3 }), {
    finished: false,
    remaining: 0,
    winners: 0,
    tickets: 0,
  });
});

test('an event whose meta names another server (Redis restarted or failed over since, maybe without its last writes) is unknown to every script until restored', async (t) => {
  const { s, r, k } = both();
  await r.loadEvent('e', settings, true);
  t.is((await s.apply('e', 'a', NOW)).kind, 'new');
  t.is((await s.apply('e', 'b', NOW)).kind, 'new');
  t.deepEqual(await s.confirm('e', [{ person: 'a', ticket: 1 }]), [true]);
  // What a promoted replica holds: every key, written by a primary with another run_id.
  await redis.hset(k.meta, 'server', 'f'.repeat(40));
  t.deepEqual(await s.apply('e', 'c', NOW), { kind: 'no-event' }, 'no unit is taken against a stock that may be too high');
  t.deepEqual(await s.apply('e', 'a', NOW), { kind: 'no-event' }, 'nor a win told from it');
  t.deepEqual(await s.confirm('e', [{ person: 'b', ticket: 2 }]), [false], 'no confirm: the restore judges the decision by its offset');
  t.false(await s.revoke('e', 'b', 2));
  t.false(await s.release('e', 2));
  t.deepEqual(await s.settle('e', [{ person: 'a', ticket: 1 }]), { kind: 'missing' }, 'a consumer begins the restore');
  await t.throwsAsync(s.setStock('e', 9), { message: /missing/ });
  t.is(await r.loadEvent('e', settings), 'missing', 'loading it begins the restore');
  t.is((await r.beginRestore('e', ENDS, NOW)).kind, 'begun');
  t.deepEqual(await redis.exists(k.meta, k.remaining, k.decisions, k.reserved), 0);
});

test('finish-restore.lua never sets a stock below 0 nor lowers the ticket sequence', async (t) => {
  const { r, k } = both();
  await redis.set(k.ticketSeq, 12);
  const begun = await r.beginRestore('e', ENDS, NOW);
  if (begun.kind !== 'begun') return t.fail();
  await r.restoreWinners('e', begun.marker, [
    { person: 'a', ticket: 1, decidedAt: NOW },
    { person: 'b', ticket: 2, decidedAt: NOW },
  ]);
  t.deepEqual(await r.finishRestore('e', begun.marker, { ...settings, total: 1, maxTicket: 3, gen: 1, winners: 2 }), {
    finished: true,
    remaining: 0,
    winners: 2,
    tickets: 12,
  });
  t.is(await redis.get(k.ticketSeq), '12');
});

test('set-stock.lua after a restore that found more winners than the stock counts every winner, and takes no new one', async (t) => {
  // An oversold event (MySQL holds 3 winners of a stock of 2) is restored with no stock left; a stock
  // then raised to 3 had 1 unit "left" when the winners were counted as total - remaining.
  const { s, r } = both();
  const begun = await r.beginRestore('e', ENDS, NOW);
  if (begun.kind !== 'begun') return t.fail();
  await r.restoreWinners(
    'e',
    begun.marker,
    ['a', 'b', 'c'].map((person, i) => ({ person, ticket: i + 1, decidedAt: NOW })),
  );
  t.like(await r.finishRestore('e', begun.marker, { ...settings, total: 2, maxTicket: 3, gen: 1, winners: 3 }), {
    remaining: 0,
    winners: 3,
  });
  t.deepEqual(await s.setStock('e', 2), { ok: false, winners: 3 }, 'below the 3 winners');
  t.deepEqual(await s.setStock('e', 3), { ok: true, total: 3, remaining: 0 });
  t.is((await s.apply('e', 'd', NOW)).kind, 'sold-out');
  t.deepEqual(await s.setStock('e', 5), { ok: true, total: 5, remaining: 2 });
  t.is((await s.apply('e', 'd', NOW)).kind, 'new');
});

test('finish-restore.lua refuses a state that lost winners restore-winners.lua wrote, and the restore writes them again', async (t) => {
  // The event's keys deleted between the two (an operator's DEL, an eviction), the marker kept: the
  // decisions hash counted none of the winners, and the whole stock went back on sale (the random fault
  // suite, seed 639318677: 0 winners restored of 30, then 37 told WON for 33).
  const { r, k } = both();
  const begun = await r.beginRestore('e', ENDS, NOW);
  if (begun.kind !== 'begun') return t.fail();
  const winners = ['a', 'b', 'c'].map((person, i) => ({ person, ticket: i + 1, decidedAt: NOW }));
  await r.restoreWinners('e', begun.marker, winners);
  t.is(await redis.del(k.meta, k.remaining, k.reserved, k.decisions, k.ticketSeq), 1, 'only the winners were there');
  t.like(
    await r.finishRestore('e', begun.marker, { ...settings, total: 5, maxTicket: 3, gen: 1, winners: 3 }),
    { finished: false, incomplete: true, winners: 0 },
    'three written, none left',
  );
  t.is((await r.marker('e'))?.raw, begun.marker.raw, 'the gate stays closed');
  t.is(await redis.exists(k.remaining), 0, 'no stock is put on sale');
  await r.restoreWinners('e', begun.marker, winners);
  t.like(await r.finishRestore('e', begun.marker, { ...settings, total: 5, maxTicket: 3, gen: 1, winners: 3 }), {
    finished: true,
    remaining: 2,
    winners: 3,
  });
});

test('a restore whose winners are deleted before it finishes starts over and restores them all', async (t) => {
  const { s, k } = both();
  const prefix = k.meta.slice(0, k.meta.indexOf(':{'));
  const winners: Winner[] = Array.from({ length: 30 }, (_, i) => ({ person: `p${i}@x.io`, ticket: i + 1, decidedAt: NOW + i }));
  let deletions = 0;
  const mysql = {
    event: async () => ({ id: 'e', state: 'open' as const, opensAt: null, closesAt: null, total: 33 }),
    winners: async function* () {
      yield winners;
    },
    maxTicket: async () => {
      // The fault, once: after the winners went back, before the finish.
      if (deletions++ === 0) await redis.del(k.meta, k.remaining, k.reserved, k.decisions, k.ticketSeq);
      return 30;
    },
    generation: async () => 0,
    recordGeneration: async () => {},
  } as unknown as MysqlState;
  const restorer = new Restorer(
    new RestoreScripts(redis, prefix),
    mysql,
    { releaseUnexplained: async () => 0 },
    { ends: async () => ({ 0: '5' }), progress: async () => [{ partition: 0, committed: '5', high: '5', lag: 0 }] },
    testLog(),
    { pollMs: 10 },
  );
  t.teardown(() => restorer.stop());
  await restorer.begin('e');
  t.true(await restorer.waitRestored('e', 10_000));
  t.is(deletions, 2, 'the first finish was refused; the second drive wrote them again');
  t.is(await redis.hlen(k.decisions), 30);
  t.is(await redis.get(k.remaining), '3', '33 units, 30 won: 3 left, not 33');
  t.is((await s.apply('e', 'late@x.io', NOW + 99)).kind, 'new');
});

test("a restore's marker names the state it replaces: the one a forced restore dropped, else MySQL's", async (t) => {
  const { r, k } = both();
  const prefix = k.meta.slice(0, k.meta.indexOf(':{'));
  const mysql = { generation: async () => 1 } as unknown as MysqlState;
  const offsets = { ends: async () => ({ 0: '5' }), progress: async () => [] };
  const restorer = new Restorer(new RestoreScripts(redis, prefix), mysql, { releaseUnexplained: async () => 0 }, offsets, testLog(), {
    pollMs: 60_000,
  });
  await restorer.stop(); // markers only: nothing is driven
  await r.loadEvent('e', settings, true);
  await redis.hset(k.meta, 'gen', 3);
  t.like(await restorer.begin('e', { force: true }), { ends: { 0: '5' }, gen: 3 }, 'the dropped state was the third');
  await redis.del(k.restoring);
  t.like(await restorer.begin('e'), { ends: { 0: '5' }, gen: 1 }, "its meta gone, MySQL's newest live state");
});

test('owned-key.lua: a lease is renewed and given up only by its owner; a marker dropped only if unchanged', async (t) => {
  const { r, k } = both();
  t.true(await r.takeLease('e', 'one', 5_000));
  t.false(await r.takeLease('e', 'two', 5_000));
  t.false(await r.holdLease('e', 'two', 0));
  t.true(await r.holdLease('e', 'one', 60_000));
  t.true((await redis.pttl(`${k.meta.slice(0, -':meta'.length)}:restore-lease`)) > 5_000);
  t.true(await r.holdLease('e', 'one', 0));
  t.true(await r.takeLease('e', 'two', 5_000));
  const begun = await r.beginRestore('e', ENDS, NOW);
  if (begun.kind !== 'begun') return t.fail();
  t.false(await r.dropMarker('e', { ...begun.marker, raw: '{}' }));
  t.true(await r.dropMarker('e', begun.marker));
  t.is(await r.marker('e'), null);
});
