import test from 'ava';
import fc from 'fast-check';
import { WinnerFilter } from '../core/adapters/redis/winner-filter.ts';

// The sold-out board answers SOLD_OUT to whoever the filter says is no winner: it must never say so of one.
test('every winner added may be held, whatever the strings', (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 300 }), (persons) => {
      const filter = new WinnerFilter();
      for (const p of persons) filter.add(p);
      return persons.every((p) => filter.mayHold(p));
    }),
  );
  t.pass();
});

test('strangers are taken for one of 100,000 winners about as often as chance has it', (t) => {
  const filter = new WinnerFilter();
  for (let i = 0; i < 100_000; i++) filter.add(`winner-${i}@drop.test`);
  let maybe = 0;
  for (let i = 0; i < 1_000_000; i++) if (filter.mayHold(`stranger-${i}@drop.test`)) maybe++;
  // Chance: 1,000,000 x 100,000 / 2^32, about 23.
  t.true(maybe < 60, `${maybe} of 1,000,000 strangers taken for winners`);
  t.false(new WinnerFilter().mayHold('anyone@drop.test'));
});
