import test from 'ava';
import { luaScripts } from './support/lua.ts';
import { Scripts, StockStateMissing } from '../core/redis/scripts.ts';

// The Lua scripts of a restore from MySQL, each against real Redis under a random prefix.
const { redis, scripts } = luaScripts(test, 'restore');

const NOW = 1_800_000_000_000;
const settings = { state: 'open', opensAt: null, closesAt: null, total: 3 };
const event = (s: Scripts, over: Partial<Parameters<Scripts['restoreEvent']>[1]> = {}) =>
  s.restoreEvent('e', { ...settings, maxTicket: 0, epoch: 'x', mode: 'missing', ...over });

test('load-event.lua with no winners given leaves a missing stock missing and writes nothing', async (t) => {
  const s = scripts();
  t.is(await s.loadEvent('e', { ...settings, winners: null }), -1);
  t.is(await redis.exists(s.keys('e').meta), 0, 'no settings either: the gate says "no event" until the restore');
  await event(s);
  t.is(await s.loadEvent('e', { ...settings, state: 'closed', winners: null }), 3);
  t.is(await redis.hget(s.keys('e').meta, 'state'), 'closed');
});

test('set-stock.lua refuses to run on a missing stock', async (t) => {
  const s = scripts();
  await t.throwsAsync(s.setStock('e', 10), { instanceOf: StockStateMissing });
  t.is(await redis.exists(s.keys('e').remaining), 0);
});

test('restore-decisions.lua puts MySQL decisions back, replaces a different one, keeps gate entries', async (t) => {
  const s = scripts();
  const k = s.keys('e');
  await redis.hset(k.decisions, 'b@x.io', `W|2|${NOW}`);
  await redis.hset(k.applicants, 'a@x.io', `1|${NOW - 9}`);
  const changed = await s.restoreDecisions('e', [
    { email: 'a@x.io', decision: 'W', ticket: 1, decidedAt: NOW, appliedAt: NOW - 5 },
    { email: 'b@x.io', decision: 'L', ticket: 2, decidedAt: NOW, appliedAt: NOW - 4 },
    { email: 'c@x.io', decision: 'L', ticket: 3, decidedAt: NOW, appliedAt: NOW - 3 },
  ]);
  t.is(changed, 3);
  t.deepEqual(await redis.hgetall(k.decisions), { 'a@x.io': `W|1|${NOW}`, 'b@x.io': `L|2|${NOW}`, 'c@x.io': `L|3|${NOW}` });
  t.is(await redis.hget(k.applicants, 'a@x.io'), `1|${NOW - 9}`, 'an existing gate entry is kept');
  t.is(await redis.hget(k.applicants, 'c@x.io'), `3|${NOW - 3}`);
  t.is(await s.restoreDecisions('e', [{ email: 'a@x.io', decision: 'W', ticket: 1, decidedAt: NOW, appliedAt: NOW - 5 }]), 0, 'the same again changes nothing');
});

test('restore-event.lua recounts the stock from the decisions, lifts tickets, sets the epoch; "missing" never overwrites a live stock', async (t) => {
  const s = scripts();
  const k = s.keys('e');
  await redis.hset(k.decisions, 'a@x.io', `W|1|${NOW}`, 'b@x.io', `L|2|${NOW}`, 'c@x.io', `W|3|${NOW}`);
  await redis.set(k.ticketSeq, 2);
  t.deepEqual(await event(s, { maxTicket: 7, epoch: 'one' }), { restored: true, remaining: 1, winners: 2 });
  t.is(await redis.get(k.ticketSeq), '7');
  t.is(await s.restoreEpoch('e'), 'one');
  t.is(await redis.hget(k.meta, 'total'), '3');
  await redis.set(k.remaining, 0);
  t.deepEqual(await event(s, { epoch: 'two' }), { restored: false, remaining: 0, winners: -1 });
  t.is(await s.restoreEpoch('e'), 'one');
  t.deepEqual(await event(s, { mode: 'always', total: 1, epoch: 'three' }), { restored: true, remaining: 0, winners: 2 }, 'never below 0');
  t.is(await redis.get(k.ticketSeq), '7', 'the sequence never goes back');
});

test('confirm-decisions.lua: a no-op while the epoch holds; after a restore it puts decisions back and takes their units', async (t) => {
  const s = scripts();
  const k = s.keys('e');
  await event(s, { epoch: 'before' });
  await s.decide('e', [{ email: 'a@x.io', ticket: 1 }], NOW);
  const decided = [{ email: 'a@x.io', decision: 'W' as const, ticket: 1, decidedAt: NOW }];
  t.is(await s.confirmDecisions('e', 'before', decided), 0);
  // Redis loses everything and is restored from a MySQL that did not have a@x.io's row yet.
  await redis.del(k.remaining, k.decisions, k.restoreEpoch);
  t.is(await s.confirmDecisions('e', 'before', decided), 1, 'stock missing: the decision goes back for the restore to count');
  t.is(await redis.exists(k.remaining), 0);
  await redis.del(k.decisions);
  await event(s, { epoch: 'after' });
  t.is(await redis.get(k.remaining), '3');
  t.is(await s.confirmDecisions('e', 'before', decided), 1);
  t.is(await redis.get(k.remaining), '2', "the winner's unit is taken from the recounted stock");
  t.is(await s.confirmDecisions('e', 'before', decided), 0, 'only once');
});

test('forget-decisions.lua drops a decision only while it is the one seen', async (t) => {
  const s = scripts();
  const k = s.keys('e');
  await redis.hset(k.decisions, 'a@x.io', `W|1|${NOW}`, 'b@x.io', `L|2|${NOW}`);
  await redis.hset(k.applicants, 'a@x.io', `1|${NOW}`);
  t.is(await s.forgetDecisions('e', [{ email: 'a@x.io', value: `W|1|${NOW}` }, { email: 'b@x.io', value: `W|2|${NOW}` }]), 1);
  t.deepEqual(await redis.hgetall(k.decisions), { 'b@x.io': `L|2|${NOW}` });
  t.is(await redis.hget(k.applicants, 'a@x.io'), null);
});
