import test from 'ava';
import { luaScripts } from './support/lua.ts';
import type { Scripts } from '../core/adapters/redis/scripts.ts';

const { redis, scripts, server } = luaScripts(test, 'lua');

const NOW = 1_800_000_000_000;
/** An open event as Redis holds it, written directly: loading events is tested in restore-scripts.test.ts. */
async function openEvent(s: Scripts, total: number) {
  const k = s.keys('e');
  await redis.hset(k.meta, { state: 'open', total, server: await server() });
  await redis.set(k.remaining, total);
}

test('set-stock.lua keeps the winners and refuses to go below them', async (t) => {
  const s = scripts();
  await openEvent(s, 3);
  await s.applyMany('e', ['a@x.io', 'b@x.io'], NOW);
  t.deepEqual(await s.setStock('e', 1), { ok: false, winners: 2 }, 'units taken at arrival count as won');
  t.deepEqual(await s.setStock('e', 10), { ok: true, total: 10, remaining: 8 });
  t.deepEqual(await s.setStock('e', 2), { ok: true, total: 2, remaining: 0 });
});

const LIMITS = { cooldownSeconds: 60, perPersonPerNetworkPerHour: 5, perNetworkPerHour: 100, allPerMinute: 1_000 };
const challenge = (id: string) => ({ id, hash: `hash-of-${id}`, ttlSeconds: 300 });

test('open-challenge.lua: one cooldown per person and network; buckets per person and network and per network; a refusal takes nothing', async (t) => {
  const s = scripts();
  t.deepEqual(await s.openChallenge('p@x.io', 'net1', challenge('c1'), LIMITS), { kind: 'opened' });
  const cooling = await s.openChallenge('p@x.io', 'net1', challenge('c2'), LIMITS);
  t.is(cooling.kind, 'cooldown');
  t.true(cooling.kind === 'cooldown' && cooling.seconds > 0 && cooling.seconds <= 60);
  t.deepEqual(
    await s.openChallenge('p@x.io', 'net2', challenge('c3'), LIMITS),
    { kind: 'opened' },
    "another network's send is not held by this one's cooldown",
  );
  t.is(await s.latestChallenge('p@x.io'), 'c3');

  const two = { cooldownSeconds: 0, perPersonPerNetworkPerHour: 2, perNetworkPerHour: 3, allPerMinute: 1_000 };
  t.deepEqual(await s.openChallenge('q@x.io', 'net3', challenge('d1'), two), { kind: 'opened' });
  t.deepEqual(await s.openChallenge('q@x.io', 'net3', challenge('d2'), two), { kind: 'opened' });
  const spent = await s.openChallenge('q@x.io', 'net3', challenge('d3'), two);
  t.is(spent.kind, 'person-spent');
  t.true(
    spent.kind === 'person-spent' && spent.seconds > 1_700 && spent.seconds <= 1_800,
    'one send earned back every half hour (2 an hour)',
  );
  t.deepEqual(
    await s.openChallenge('r@x.io', 'net3', challenge('d4'), two),
    { kind: 'opened' },
    "the refused send took none of the network's three",
  );
  const network = await s.openChallenge('u@x.io', 'net3', challenge('d5'), two);
  t.is(network.kind, 'network-spent');
  t.true(network.kind === 'network-spent' && network.seconds <= 1_200, 'one earned back every 20 minutes (3 an hour), not after the hour');
  t.deepEqual(
    await s.openChallenge('q@x.io', 'net4', challenge('d6'), two),
    { kind: 'opened' },
    'the person from another network is not held',
  );
});

test('open-challenge.lua: every send counts against one budget a minute, earned back evenly; a refusal takes nothing', async (t) => {
  const s = scripts();
  const budget = { cooldownSeconds: 0, perPersonPerNetworkPerHour: 1, perNetworkPerHour: 100, allPerMinute: 6 };
  for (let i = 0; i < 6; i++) t.deepEqual(await s.openChallenge(`p${i}@x.io`, `net${i}`, challenge(`c${i}`), budget), { kind: 'opened' });
  const busy = await s.openChallenge('late@x.io', 'net9', challenge('late'), budget);
  t.is(busy.kind, 'all-spent');
  const seconds = busy.kind === 'all-spent' ? busy.seconds : 0;
  t.true(seconds >= 1 && seconds <= 10, `wait ${seconds} s: one send earned back every 10 s (6 a minute)`);
  t.is(await s.latestChallenge('late@x.io'), null, 'nothing opened');
  await new Promise((r) => setTimeout(r, seconds * 1_000 + 200));
  t.deepEqual(
    await s.openChallenge('late@x.io', 'net9', challenge('late'), budget),
    { kind: 'opened' },
    "the refusal took none of the person's one send an hour",
  );
});

test('check-challenge.lua: by id, tries counted before the comparison; single use', async (t) => {
  const s = scripts();
  await s.openChallenge('p@x.io', 'net', challenge('c'), LIMITS);
  const byId = { by: 'id', id: 'c' } as const;
  t.deepEqual(await s.checkChallenge('p@x.io', byId, 'wrong', 3), { kind: 'wrong', attemptsLeft: 2 });
  t.deepEqual(
    await s.checkChallenge('p@x.io', { by: 'id', id: 'other' }, 'hash-of-c', 3),
    { kind: 'missing' },
    'a code is good for its own challenge only',
  );
  t.deepEqual(await s.checkChallenge('q@x.io', byId, 'hash-of-c', 3), { kind: 'missing' }, 'and for its own person');
  t.deepEqual(await s.checkChallenge('p@x.io', byId, 'hash-of-c', 3), { kind: 'ok' });
  t.deepEqual(await s.checkChallenge('p@x.io', byId, 'hash-of-c', 3), { kind: 'missing' }, 'used');
  t.is(await s.latestChallenge('p@x.io'), null, 'the latest went with it');

  await s.openChallenge('b@x.io', 'net', challenge('burst'), LIMITS);
  const answers = await Promise.all(Array.from({ length: 50 }, () => s.checkChallenge('b@x.io', { by: 'id', id: 'burst' }, 'wrong', 5)));
  t.is(answers.filter((a) => a.kind === 'wrong').length, 5, '50 tries at once: 5 compared');
  t.deepEqual(
    await s.checkChallenge('b@x.io', { by: 'id', id: 'burst' }, 'hash-of-burst', 5),
    { kind: 'missing' },
    'out of tries: even the right code',
  );
});

test("check-challenge.lua: without the id, the latest challenge only, with tries of its own that never spend the id holder's", async (t) => {
  const s = scripts();
  await s.openChallenge('p@x.io', 'owner-net', challenge('owner'), { ...LIMITS, cooldownSeconds: 0 });
  const latest = { by: 'latest', id: 'owner' } as const;
  for (let i = 0; i < 3; i++) await s.checkChallenge('p@x.io', latest, 'wrong', 3);
  t.deepEqual(await s.checkChallenge('p@x.io', latest, 'hash-of-owner', 3), { kind: 'missing' }, 'the tries without an id are spent');
  t.deepEqual(
    await s.checkChallenge('p@x.io', { by: 'id', id: 'owner' }, 'hash-of-owner', 3),
    { kind: 'ok' },
    'the holder of the id still signs in',
  );

  await s.openChallenge('q@x.io', 'owner-net', challenge('first'), { ...LIMITS, cooldownSeconds: 0 });
  await s.openChallenge('q@x.io', 'stranger-net', challenge('second'), { ...LIMITS, cooldownSeconds: 0 });
  t.deepEqual(
    await s.checkChallenge('q@x.io', { by: 'latest', id: 'first' }, 'hash-of-first', 3),
    { kind: 'missing' },
    'no longer the latest',
  );
  t.deepEqual(await s.checkChallenge('q@x.io', { by: 'id', id: 'first' }, 'hash-of-first', 3), { kind: 'ok' });
  t.deepEqual(await s.checkChallenge('q@x.io', { by: 'latest', id: 'second' }, 'hash-of-second', 3), { kind: 'ok' });
  t.deepEqual(
    await s.checkChallenge('q@x.io', { by: 'id', id: 'second' }, 'hash-of-second', 3),
    { kind: 'missing' },
    'used through either path, used for both',
  );
});
