import test from 'ava';
import { luaScripts } from './support/lua.ts';
import { Scripts, StockStateMissing } from '../core/redis/scripts.ts';
import { randomEmail } from './support/system.ts';

const { redis, scripts } = luaScripts(test, 'lua');

const NOW = 1_800_000_000_000;
const openEvent = (s: Scripts, total: number, extra: { opensAt?: number; closesAt?: number; state?: string } = {}) =>
  s.loadEvent('e', { state: extra.state ?? 'open', opensAt: extra.opensAt ?? null, closesAt: extra.closesAt ?? null, total, winners: 0 });

test('apply.lua: unknown event, not open, scheduled, closed by time, sold out', async (t) => {
  const s = scripts();
  t.deepEqual(await s.apply('e', 'a@x.io', NOW), { kind: 'no-event' });
  await openEvent(s, 1, { state: 'draft' });
  t.deepEqual(await s.apply('e', 'a@x.io', NOW), { kind: 'not-open' });
  await openEvent(s, 1, { opensAt: NOW + 1 });
  t.deepEqual(await s.apply('e', 'a@x.io', NOW), { kind: 'not-open' });
  t.deepEqual(await s.apply('e', 'a@x.io', NOW + 1), { kind: 'new', ticket: 1, appliedAt: NOW + 1 });
  await openEvent(s, 1, { closesAt: NOW + 5 });
  t.deepEqual(await s.apply('e', 'b@x.io', NOW + 5), { kind: 'not-open' });
  t.deepEqual(await s.apply('e', 'a@x.io', NOW + 5), { kind: 'pending', ticket: 1, appliedAt: NOW + 1 }, 'a repeat gets its answer even after closing');
  await s.decide('e', [{ email: 'a@x.io', ticket: 1 }], NOW + 6);
  await openEvent(s, 1);
  t.deepEqual(await s.apply('e', 'c@x.io', NOW + 7), { kind: 'sold-out' });
  t.deepEqual(await s.apply('e', 'a@x.io', NOW + 7), { kind: 'decided', ticket: 1, decision: 'W', decidedAt: NOW + 6 });
});

test('apply.lua: tickets follow arrival and a repeat keeps its ticket', async (t) => {
  const s = scripts();
  await openEvent(s, 10);
  const emails = Array.from({ length: 5 }, () => randomEmail());
  const results = await Promise.all(emails.map((e) => s.apply('e', e, NOW)));
  t.deepEqual(results.map((r) => (r.kind === 'new' ? r.ticket : -1)), [1, 2, 3, 4, 5]);
  t.deepEqual(await s.apply('e', emails[2]!, NOW), { kind: 'pending', ticket: 3, appliedAt: NOW });
});

test('apply.lua with many applicants: one call answers each in order, repeats included', async (t) => {
  const s = scripts();
  await openEvent(s, 3);
  t.deepEqual(await s.apply('e', 'won@x.io', NOW), { kind: 'new', ticket: 1, appliedAt: NOW });
  await s.decide('e', [{ email: 'won@x.io', ticket: 1 }], NOW + 1);
  t.deepEqual(await s.apply('e', 'waits@x.io', NOW + 2), { kind: 'new', ticket: 2, appliedAt: NOW + 2 });
  t.deepEqual(await s.applyMany('e', ['a@x.io', 'won@x.io', 'b@x.io', 'a@x.io', 'waits@x.io'], NOW + 3), [
    { kind: 'new', ticket: 3, appliedAt: NOW + 3 },
    { kind: 'decided', ticket: 1, decision: 'W', decidedAt: NOW + 1 },
    { kind: 'new', ticket: 4, appliedAt: NOW + 3 },
    { kind: 'pending', ticket: 3, appliedAt: NOW + 3 },
    { kind: 'pending', ticket: 2, appliedAt: NOW + 2 },
  ]);
  // Closed: newcomers are refused in the same call that still answers those who applied.
  await openEvent(s, 3, { state: 'closed' });
  t.deepEqual(await s.applyMany('e', ['c@x.io', 'a@x.io', 'won@x.io'], NOW + 4), [
    { kind: 'not-open' },
    { kind: 'pending', ticket: 3, appliedAt: NOW + 3 },
    { kind: 'decided', ticket: 1, decision: 'W', decidedAt: NOW + 1 },
  ]);
  t.deepEqual(await s.applyMany('other', ['a@x.io', 'b@x.io'], NOW), [{ kind: 'no-event' }, { kind: 'no-event' }]);
  t.deepEqual(await s.applyMany('e', [], NOW), []);
});

test('the gate passes the applies of one turn in one call per event, in order of arrival', async (t) => {
  const { Gate } = await import('../core/redis/gate.ts');
  const s = scripts();
  await openEvent(s, 100);
  const calls: number[] = [];
  const counting = Object.assign(Object.create(s) as Scripts, {
    applyMany: (eventId: string, emails: string[], now: number) => {
      calls.push(emails.length);
      return s.applyMany(eventId, emails, now);
    },
  });
  const gate = new Gate(counting, 4);
  const emails = Array.from({ length: 10 }, () => randomEmail('gate'));
  const results = await Promise.all([...emails.map((e) => gate.pass('e', e)), gate.pass('other', 'z@x.io')]);
  t.deepEqual(results.slice(0, 10).map((r) => (r.kind === 'new' ? r.ticket : -1)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.deepEqual(results[10], { kind: 'no-event' });
  t.deepEqual(calls, [4, 4, 2, 1], 'batches of at most 4 for "e", one call for "other"');
});

test('release.lua removes only the caller\'s own ticket', async (t) => {
  const s = scripts();
  await openEvent(s, 10);
  await s.apply('e', 'a@x.io', NOW);
  t.false(await s.release('e', 'a@x.io', 2));
  t.true(await s.release('e', 'a@x.io', 1));
  t.false(await s.release('e', 'a@x.io', 1));
  t.deepEqual(await s.standing('e', 'a@x.io'), { kind: 'unknown' });
  t.deepEqual(await s.apply('e', 'a@x.io', NOW), { kind: 'new', ticket: 2, appliedAt: NOW });
});

test('decide.lua: first come first served, a decision never changes, a repeat in one batch takes nothing', async (t) => {
  const s = scripts();
  await openEvent(s, 2);
  const out = await s.decide('e', [
    { email: 'a@x.io', ticket: 1 }, { email: 'b@x.io', ticket: 2 }, { email: 'a@x.io', ticket: 1 }, { email: 'c@x.io', ticket: 3 },
  ], NOW);
  t.deepEqual(out.map((d) => [d.email, d.decision, d.ticket]), [['a@x.io', 'W', 1], ['b@x.io', 'W', 2], ['a@x.io', 'W', 1], ['c@x.io', 'L', 3]]);
  const again = await s.decide('e', [{ email: 'c@x.io', ticket: 3 }, { email: 'b@x.io', ticket: 2 }], NOW + 10);
  t.deepEqual(again.map((d) => [d.decision, d.decidedAt]), [['L', NOW], ['W', NOW]]);
  t.deepEqual(await s.counts('e'), { total: 2, remaining: 0, applied: 0, decided: 3 });
});

test('decide.lua refuses to decide when the stock key is missing', async (t) => {
  const s = scripts();
  await t.throwsAsync(s.decide('e', [{ email: 'a@x.io', ticket: 1 }], NOW), { instanceOf: StockStateMissing });
  t.deepEqual(await s.standing('e', 'a@x.io'), { kind: 'unknown' }, 'nobody was decided');
});

test('set-stock.lua keeps the winners and refuses to go below them', async (t) => {
  const s = scripts();
  await openEvent(s, 3);
  await s.decide('e', [{ email: 'a@x.io', ticket: 1 }, { email: 'b@x.io', ticket: 2 }], NOW);
  t.deepEqual(await s.setStock('e', 1), { ok: false, winners: 2 });
  t.deepEqual(await s.setStock('e', 10), { ok: true, total: 10, remaining: 8 });
  t.deepEqual(await s.setStock('e', 2), { ok: true, total: 2, remaining: 0 });
});

test('load-event.lua keeps live stock and rebuilds a missing one from the winners', async (t) => {
  const s = scripts();
  t.is(await s.loadEvent('e', { state: 'open', opensAt: null, closesAt: null, total: 5, winners: 0 }), 5);
  await s.decide('e', [{ email: 'a@x.io', ticket: 1 }], NOW);
  t.is(await s.loadEvent('e', { state: 'closed', opensAt: null, closesAt: null, total: 5, winners: 0 }), 4, 'live stock is kept');
  await redis.del(s.keys('e').remaining);
  t.is(await s.loadEvent('e', { state: 'open', opensAt: null, closesAt: null, total: 5, winners: 3 }), 2, 'rebuilt as total - winners');
});

test('store-code.lua and verify-code.lua: cooldown, single use, attempts', async (t) => {
  const s = scripts();
  t.is(await s.storeCode('a@x.io', 'h1', 300, 60), 0);
  t.true((await s.storeCode('a@x.io', 'h2', 300, 60)) > 0, 'inside the cooldown');
  t.deepEqual(await s.verifyCode('a@x.io', 'bad', 3), { kind: 'wrong', attemptsLeft: 2 });
  t.deepEqual(await s.verifyCode('a@x.io', 'h1', 3), { kind: 'ok' });
  t.deepEqual(await s.verifyCode('a@x.io', 'h1', 3), { kind: 'missing' });
  t.is(await s.storeCode('b@x.io', 'h', 300, 0), 0);
  t.deepEqual(await s.verifyCode('b@x.io', 'x', 2), { kind: 'wrong', attemptsLeft: 1 });
  t.deepEqual(await s.verifyCode('b@x.io', 'x', 2), { kind: 'void' });
  t.deepEqual(await s.verifyCode('b@x.io', 'h', 2), { kind: 'missing' });
});
