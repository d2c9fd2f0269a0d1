import test from 'ava';
import { luaScripts } from './support/lua.ts';
import type { Scripts } from '../core/adapters/redis/scripts.ts';
import { TurnBatch } from '../core/adapters/redis/turn-batch.ts';
import { randomEmail } from './support/system.ts';

const { redis, scripts, server } = luaScripts(test, 'gate');

const NOW = 1_800_000_000_000;
/** An event as Redis holds it, written directly: these tests are about the gate, not the loading. */
async function event(s: Scripts, total: number, meta: { state?: string; opensAt?: number; closesAt?: number } = {}) {
  const k = s.keys('e');
  await redis.del(k.meta);
  await redis.hset(k.meta, {
    state: meta.state ?? 'open',
    total,
    server: await server(),
    ...(meta.opensAt ? { opensAt: meta.opensAt } : {}),
    ...(meta.closesAt ? { closesAt: meta.closesAt } : {}),
  });
  if ((await redis.exists(k.remaining)) === 0) await redis.set(k.remaining, total);
}

test('apply.lua: unknown event, not open, scheduled, closed by time, sold out, restoring', async (t) => {
  const s = scripts();
  t.deepEqual(await s.apply('e', 'a@x.io', NOW), { kind: 'no-event' });
  await event(s, 1, { state: 'draft' });
  t.deepEqual(await s.apply('e', 'a@x.io', NOW), { kind: 'draft' }, 'hidden from participants');
  await event(s, 1, { state: 'closed' });
  t.deepEqual(await s.apply('e', 'a@x.io', NOW), { kind: 'not-open' });
  await event(s, 1, { opensAt: NOW + 1 });
  t.deepEqual(await s.apply('e', 'a@x.io', NOW), { kind: 'not-open' });
  t.deepEqual(await s.apply('e', 'a@x.io', NOW + 1), { kind: 'new', ticket: 1, decidedAt: NOW + 1, gen: 0 });
  await event(s, 1, { closesAt: NOW + 5 });
  t.deepEqual(await s.apply('e', 'b@x.io', NOW + 5), { kind: 'not-open' });
  t.deepEqual(
    await s.apply('e', 'a@x.io', NOW + 5),
    { kind: 'resend', ticket: 1, decidedAt: NOW + 1, gen: 0 },
    'a winner gets their answer even after closing',
  );
  await event(s, 1);
  t.deepEqual(await s.apply('e', 'c@x.io', NOW + 7), { kind: 'sold-out' });
  t.deepEqual(await s.counts('e'), { total: 1, remaining: 0, winners: 1, unconfirmed: 1 });
  await redis.set(s.keys('e').restoring, '{"ends":{}}');
  t.deepEqual(
    await s.applyMany('e', ['a@x.io', 'd@x.io'], NOW + 8),
    [{ kind: 'restoring' }, { kind: 'restoring' }],
    'nothing is answered from a half-restored state',
  );
});

test('apply.lua decides at arrival: the first S persons win in order, everyone after is sold out, repeats take nothing', async (t) => {
  const s = scripts();
  await event(s, 3);
  const persons = Array.from({ length: 6 }, () => randomEmail('fcfs'));
  const out = await s.applyMany('e', [persons[0]!, persons[1]!, persons[0]!, persons[2]!, persons[3]!, persons[1]!], NOW);
  t.deepEqual(out, [
    { kind: 'new', ticket: 1, decidedAt: NOW, gen: 0 },
    { kind: 'new', ticket: 2, decidedAt: NOW, gen: 0 },
    { kind: 'resend', ticket: 1, decidedAt: NOW, gen: 0 },
    { kind: 'new', ticket: 3, decidedAt: NOW, gen: 0 },
    { kind: 'sold-out' },
    { kind: 'resend', ticket: 2, decidedAt: NOW, gen: 0 },
  ]);
  t.deepEqual(
    await s.confirm('e', [
      { person: persons[0]!, ticket: 1 },
      { person: persons[1]!, ticket: 2 },
    ]),
    [true, true],
  );
  t.deepEqual(await s.applyMany('e', [persons[0]!, persons[4]!, persons[2]!], NOW + 1), [
    { kind: 'decided', ticket: 1, decidedAt: NOW },
    { kind: 'sold-out' },
    { kind: 'resend', ticket: 3, decidedAt: NOW, gen: 0 },
  ]);
  t.deepEqual(await s.counts('e'), { total: 3, remaining: 0, winners: 3, unconfirmed: 1 });
  t.deepEqual(await s.standing('e', persons[0]!), { kind: 'won', ticket: 1, decidedAt: NOW });
  t.deepEqual(await s.standing('e', persons[2]!), { kind: 'unconfirmed', ticket: 3, decidedAt: NOW });
  t.deepEqual(await s.standing('e', persons[4]!), { kind: 'unknown' });
});

test('confirm.lua: a reservation is confirmed once, by the API or by a consumer; a released one is not', async (t) => {
  const s = scripts();
  await event(s, 5);
  await s.applyMany('e', ['a@x.io', 'b@x.io', 'c@x.io'], NOW);
  t.deepEqual(
    await s.confirm('e', [
      { person: 'a@x.io', ticket: 1 },
      { person: 'b@x.io', ticket: 9 },
    ]),
    [true, false],
    'only the ticket held',
  );
  t.deepEqual(await s.confirm('e', [{ person: 'a@x.io', ticket: 1 }]), [true], 'confirming again is harmless');
  t.deepEqual(await s.settle('e', [{ person: 'b@x.io', ticket: 2 }]), { kind: 'settled', persist: [true] });
  t.deepEqual(await s.confirm('e', [{ person: 'b@x.io', ticket: 2 }]), [true], 'a consumer confirmed it first');
  t.true(await s.revoke('e', 'c@x.io', 3));
  t.deepEqual(await s.confirm('e', [{ person: 'c@x.io', ticket: 3 }]), [false], 'revoked: the API must not say WON');
  t.deepEqual(await s.counts('e'), { total: 5, remaining: 2, winners: 2, unconfirmed: 0 }, 'a revoked unit is not back yet');
  t.true(await s.release('e', 3));
  t.deepEqual(await s.counts('e'), { total: 5, remaining: 3, winners: 2, unconfirmed: 0 });
});

test("revoke.lua takes back only the caller's own unconfirmed, old enough reservation; release.lua gives its unit back once", async (t) => {
  const s = scripts();
  await event(s, 2);
  await s.applyMany('e', ['a@x.io', 'b@x.io'], NOW);
  t.false(await s.revoke('e', 'a@x.io', 2), 'not its ticket');
  t.false(await s.revoke('e', 'a@x.io', 1, NOW - 1), 'younger than asked');
  t.false(await s.release('e', 1), 'nothing is given back before it is revoked');
  t.true(await s.revoke('e', 'a@x.io', 1, NOW));
  t.false(await s.revoke('e', 'a@x.io', 1), 'once');
  t.deepEqual(await s.settle('e', [{ person: 'a@x.io', ticket: 1 }]), { kind: 'settled', persist: [false] }, "Kafka's copy is void");
  t.deepEqual(await s.apply('e', 'z@x.io', NOW + 1), { kind: 'sold-out' }, 'the unit waits, revoked, until MySQL records the release');
  t.true(await s.release('e', 1));
  t.false(await s.release('e', 1), 'given back once');
  await s.confirm('e', [{ person: 'b@x.io', ticket: 2 }]);
  t.false(await s.revoke('e', 'b@x.io', 2), 'a confirmed winner keeps the unit');
  t.deepEqual(await s.counts('e'), { total: 2, remaining: 1, winners: 1, unconfirmed: 0 });
  t.deepEqual(
    await s.apply('e', 'a@x.io', NOW + 1),
    { kind: 'new', ticket: 3, decidedAt: NOW + 1, gen: 0 },
    'the unit went to the next arrival, with the next ticket',
  );
  t.deepEqual(await s.apply('e', 'z@x.io', NOW + 2), { kind: 'sold-out' });
});

test('a person revoked twice leaves two units to give back, each by its ticket', async (t) => {
  const s = scripts();
  await event(s, 2);
  await s.apply('e', 'a@x.io', NOW);
  t.true(await s.revoke('e', 'a@x.io', 1));
  t.deepEqual(await s.apply('e', 'a@x.io', NOW + 1), { kind: 'new', ticket: 2, decidedAt: NOW + 1, gen: 0 });
  t.true(await s.revoke('e', 'a@x.io', 2));
  t.deepEqual(await s.counts('e'), { total: 2, remaining: 0, winners: 0, unconfirmed: 0 });
  t.true(await s.release('e', 2));
  t.true(await s.release('e', 1));
  t.deepEqual(await s.counts('e'), { total: 2, remaining: 2, winners: 0, unconfirmed: 0 });
});

test('settle.lua persists what Redis holds, voids what was released, and defers to the marker while restoring', async (t) => {
  const s = scripts();
  t.deepEqual(await s.settle('e', [{ person: 'a@x.io', ticket: 1 }]), { kind: 'missing' }, 'state missing, no marker');
  await event(s, 3);
  await s.applyMany('e', ['a@x.io', 'b@x.io'], NOW);
  await s.revoke('e', 'b@x.io', 2);
  await s.release('e', 2);
  await s.apply('e', 'b@x.io', NOW + 1);
  t.deepEqual(
    await s.settle('e', [
      { person: 'a@x.io', ticket: 1 },
      { person: 'b@x.io', ticket: 2 },
      { person: 'b@x.io', ticket: 3 },
      { person: 'x@x.io', ticket: 9 },
      { person: 'a@x.io', ticket: 1 },
    ]),
    { kind: 'settled', persist: [true, false, true, false, true] },
  );
  t.deepEqual(await s.counts('e'), { total: 3, remaining: 1, winners: 2, unconfirmed: 0 }, 'settling confirmed both');
  await redis.set(s.keys('e').restoring, '{"ends":{"0":"5"}}');
  t.deepEqual(await s.settle('e', [{ person: 'a@x.io', ticket: 1 }]), {
    kind: 'restoring',
    marker: { raw: '{"ends":{"0":"5"}}', ends: { 0: '5' }, at: undefined },
  });
});

test('a turn batch sends the calls of one turn together, per event, in order of arrival, at most maxBatch each', async (t) => {
  const s = scripts();
  await event(s, 100);
  const calls: [string, number][] = [];
  const gate = new TurnBatch<string, unknown>((eventId, persons, now) => {
    calls.push([eventId, persons.length]);
    return s.applyMany(eventId, persons, now);
  }, 4);
  const persons = Array.from({ length: 10 }, () => randomEmail('turn'));
  const results = await Promise.all([...persons.map((p) => gate.add('e', p)), gate.add('other', 'z@x.io')]);
  t.deepEqual(
    results.slice(0, 10).map((r) => (r as { ticket: number }).ticket),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  t.deepEqual(results[10], { kind: 'no-event' });
  t.deepEqual(calls, [
    ['e', 4],
    ['e', 4],
    ['e', 2],
    ['other', 1],
  ]);
});
