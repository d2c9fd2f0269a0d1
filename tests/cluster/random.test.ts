import test from 'ava';
import { runRandom } from '../../faults/random.ts';
import { printRandom } from '../../faults/random-report.ts';

// The short variant of `npm run test:faults -- --random N`: two random schedules of overlapping faults
// on the production topology of the suite's own, each with a crowd of 40 whose addresses are anything
// sign-in accepts. The seed is logged: `npm run test:faults -- --random 2 --seed S` replays it.
test('two random schedules of overlapping faults break no promise', async (t) => {
  t.timeout(10 * 60_000);
  const seed = Math.floor(Math.random() * 1_000_000_000);
  t.log(`seed ${seed}`);
  const results = await runRandom({ schedules: 2, seed, applicants: 40, log: (l) => t.log(l) });
  const lines: string[] = [];
  const broken = printRandom(results, (l) => lines.push(l));
  t.log(lines.join('\n'));
  t.is(results.length, 2);
  t.true(
    results.every((r) => r.faults.length >= 2),
    'every schedule overlapped two faults or more',
  );
  t.is(broken, 0, lines.filter((l) => l.startsWith('BROKEN')).join('\n'));
});
