import test from 'ava';
import { luaScripts } from './support/lua.ts';
import type { Scripts } from '../core/adapters/redis/scripts.ts';
import { randomEmail } from './support/system.ts';

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

const code = (seed: string) => ({ seed, hash: `hash-of-${seed}` });
const tries = (perRequester: number, total: number) => ({ perRequester, total });

test('store-code.lua and verify-code.lua: cooldown, single use, attempts', async (t) => {
  const s = scripts();
  t.deepEqual(await s.storeCode('a@x.io', code('s1'), 'ip1', 300, 60), { kind: 'send', seed: 's1' });
  const cooling = await s.storeCode('a@x.io', code('s2'), 'ip2', 300, 60);
  t.true(cooling.kind === 'wait' && cooling.seconds > 0, 'inside the cooldown');
  t.deepEqual(await s.verifyCode('a@x.io', 'bad', 'ip1', tries(3, 100)), { kind: 'wrong', attemptsLeft: 2 });
  t.deepEqual(await s.verifyCode('a@x.io', code('s1').hash, 'ip1', tries(3, 100)), { kind: 'ok' });
  t.deepEqual(await s.verifyCode('a@x.io', code('s1').hash, 'ip1', tries(3, 100)), { kind: 'missing' });
});

test('store-code.lua: a pending code is kept and mailed again, whoever asks, and lives on from the latest send', async (t) => {
  const s = scripts();
  const email = randomEmail('kept');
  t.deepEqual(await s.storeCode(email, code('owner'), 'owner-ip', 300, 0), { kind: 'send', seed: 'owner' });
  t.deepEqual(await s.storeCode(email, code('stranger'), 'stranger-ip', 300, 0), { kind: 'send', seed: 'owner' });
  await s.storeCode(email, code('again'), 'stranger-ip', 1_000, 0);
  const [key] = await redis.keys(`test-lua-*:code:{${email}}`);
  t.true((await redis.ttl(key!)) > 300, 'the lifetime counts again from the latest send');
  t.deepEqual(await s.verifyCode(email, code('stranger').hash, 'stranger-ip', tries(3, 100)), { kind: 'wrong', attemptsLeft: 2 });
  t.deepEqual(await s.verifyCode(email, code('owner').hash, 'owner-ip', tries(3, 100)), { kind: 'ok' });
  t.deepEqual(await s.storeCode(email, code('next'), 'owner-ip', 300, 0), { kind: 'send', seed: 'next' }, 'a new code once the old one is used');
});

test('verify-code.lua: wrong tries are counted per requester; a requester out of tries leaves the code to others', async (t) => {
  const s = scripts();
  await s.storeCode('a@x.io', code('c'), 'owner-ip', 300, 60);
  const right = code('c').hash;
  t.deepEqual(await s.verifyCode('a@x.io', 'x', 'stranger', tries(2, 100)), { kind: 'wrong', attemptsLeft: 1 });
  t.deepEqual(await s.verifyCode('a@x.io', 'x', 'stranger', tries(2, 100)), { kind: 'spent' });
  t.deepEqual(await s.verifyCode('a@x.io', right, 'stranger', tries(2, 100)), { kind: 'spent' }, 'even the right code, once out of tries');
  t.deepEqual(await s.verifyCode('a@x.io', 'x', 'owner-ip', tries(2, 100)), { kind: 'wrong', attemptsLeft: 1 }, 'the owner has tries of its own');
  t.deepEqual(await s.verifyCode('a@x.io', right, 'owner-ip', tries(2, 100)), { kind: 'ok' });
});

test('store-code.lua: a requester that asks again gets its tries back on the same code', async (t) => {
  const s = scripts();
  await s.storeCode('a@x.io', code('c'), 'owner-ip', 300, 0);
  t.deepEqual(await s.verifyCode('a@x.io', 'typo', 'owner-ip', tries(1, 100)), { kind: 'spent' });
  t.deepEqual(await s.verifyCode('a@x.io', 'typo', 'stranger', tries(1, 100)), { kind: 'spent' });
  t.deepEqual(await s.storeCode('a@x.io', code('other'), 'owner-ip', 300, 0), { kind: 'send', seed: 'c' });
  t.deepEqual(await s.verifyCode('a@x.io', 'x', 'stranger', tries(1, 100)), { kind: 'spent' }, 'only the one that asked');
  t.deepEqual(await s.verifyCode('a@x.io', code('c').hash, 'owner-ip', tries(1, 100)), { kind: 'ok' });
});

test('verify-code.lua: past the total of wrong tries the code is void for everyone and the cooldown is lifted', async (t) => {
  const s = scripts();
  await s.storeCode('a@x.io', code('c'), 'owner-ip', 300, 60);
  t.deepEqual(await s.verifyCode('a@x.io', 'x', 'ip1', tries(2, 3)), { kind: 'wrong', attemptsLeft: 1 });
  t.deepEqual(await s.verifyCode('a@x.io', 'x', 'ip2', tries(2, 3)), { kind: 'wrong', attemptsLeft: 1 });
  t.deepEqual(await s.verifyCode('a@x.io', 'x', 'ip3', tries(2, 3)), { kind: 'void' });
  t.deepEqual(await s.verifyCode('a@x.io', code('c').hash, 'owner-ip', tries(2, 3)), { kind: 'missing' });
  t.deepEqual(await s.storeCode('a@x.io', code('new'), 'owner-ip', 300, 60), { kind: 'send', seed: 'new' }, 'no cooldown to wait out');
});
