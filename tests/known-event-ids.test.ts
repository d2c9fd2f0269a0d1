import test from 'ava';
import { KnownEventIds } from '../core/use-cases/operator/known-event-ids.ts';

/**
 * The list of event ids that spares MySQL a read per made-up id, on a clock the test moves: a flood of
 * unknown ids costs one read per ttl; a list read while this process made an event still holds it.
 * The real list against MySQL is in tests/unknown-events.test.ts.
 */
const TTL = 2_000;

function known(lists: string[][]) {
  let now = 1_000_000;
  let reads = 0;
  const gates: (() => void)[] = [];
  const hold = { on: false };
  const ids = new KnownEventIds(
    async () => {
      const list = lists[Math.min(reads, lists.length - 1)]!;
      reads++;
      if (hold.on) await new Promise<void>((resolve) => gates.push(resolve));
      return list;
    },
    TTL,
    () => now,
  );
  return {
    ids,
    reads: () => reads,
    advance: (ms: number) => {
      now += ms;
    },
    hold,
    release: () => {
      for (const open of gates.splice(0)) open();
    },
  };
}

test('a flood of unknown ids within the ttl costs one read; a known id costs none', async (t) => {
  const k = known([['ev-a', 'ev-b']]);
  t.true(await k.ids.mayExist('ev-a'));
  const flood = await Promise.all(Array.from({ length: 1_000 }, (_, i) => k.ids.mayExist(`made-up-${i}`)));
  t.true(flood.every((x) => x === false));
  t.true(await k.ids.mayExist('ev-b'));
  t.is(k.reads(), 1);
});

test('past the ttl an unknown id reads the list again, and finds an event made elsewhere meanwhile', async (t) => {
  const k = known([['ev-a'], ['ev-a', 'ev-new']]);
  t.false(await k.ids.mayExist('ev-new'));
  k.advance(TTL - 1);
  t.false(await k.ids.mayExist('ev-new'), 'within the ttl: not asked');
  t.is(k.reads(), 1);
  k.advance(1);
  t.true(await k.ids.mayExist('ev-new'));
  t.is(k.reads(), 2);
});

test('ids asked at once share one read', async (t) => {
  const k = known([['ev-a']]);
  k.hold.on = true;
  const asked = [k.ids.mayExist('ev-a'), k.ids.mayExist('x'), k.ids.mayExist('y')];
  await new Promise((r) => setImmediate(r));
  k.release();
  t.deepEqual(await Promise.all(asked), [true, false, false]);
  t.is(k.reads(), 1);
});

test('an event this process makes is known at once, even while a list that lacks it is being read', async (t) => {
  // MySQL's list holds ev-here once it is made; ev-during is made after the second read began.
  const k = known([['ev-a'], ['ev-a', 'ev-here']]);
  t.false(await k.ids.mayExist('ev-here'));
  k.ids.add('ev-here');
  t.true(await k.ids.mayExist('ev-here'), 'added to the list in hand');
  k.advance(TTL);
  k.hold.on = true;
  const reading = k.ids.mayExist('other');
  await new Promise((r) => setImmediate(r));
  // Made while the list is read: the list began before the insert and lacks it.
  k.ids.add('ev-during');
  k.release();
  t.false(await reading);
  t.true(await k.ids.mayExist('ev-during'));
  t.true(await k.ids.mayExist('ev-here'));
  t.is(k.reads(), 2);
});

test('a list is as fresh as the moment its read began, not the moment it ended', async (t) => {
  const k = known([['ev-a'], ['ev-a', 'ev-late']]);
  k.hold.on = true;
  const first = k.ids.mayExist('x');
  await new Promise((r) => setImmediate(r));
  k.advance(TTL);
  k.release();
  await first;
  k.hold.on = false;
  t.true(await k.ids.mayExist('ev-late'), 'read again at once: the first list was a ttl old when it arrived');
  t.is(k.reads(), 2);
});
