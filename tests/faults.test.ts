import test from 'ava';
import { runSuite } from '../faults/suite.ts';
import { FAULTS } from '../faults/faults.ts';
import { failures, formatTable } from '../faults/table.ts';

// The short variant of `npm run test:faults`: every fault kind once, on a small burst, against the
// suite's own Kafka, Redis and MariaDB (the shared services are never touched).
test('every fault kind, injected into real processes, loses, duplicates, oversells, undersells, reorders and strands no one', async (t) => {
  t.timeout(20 * 60_000);
  const result = await runSuite({ rounds: 1, applicants: 40, log: (l) => t.log(l) });
  t.log(`\n${formatTable(result.rows)}`);
  t.deepEqual(
    result.rows.map((r) => r.fault),
    FAULTS.map((f) => f.name),
  );
  t.true(
    result.rows.every((r) => r.injected >= 1),
    'every fault was injected',
  );
  t.deepEqual(
    result.rows.filter((r) => failures(r) > 0).map((r) => r.fault),
    [],
    result.notes.join('\n'),
  );
  t.is(result.deadLetters.unaccounted, 0, result.notes.join('\n'));
  t.is(result.crashes, 0, result.notes.join('\n'));
  t.true(result.deadLetters.letters >= 2, 'the injected poison reached the dead-letter topic');
  // A consumer killed, or dying again and again, holds the group up for its session (6 s; 4-7 s
  // measured from the restart), not for the 30 s of kafkajs's default session (28-30 s measured); 20 s
  // leaves room for a slow start on a loaded machine.
  const consumerFaults = result.rows.filter((r) => r.fault.startsWith('consumer'));
  t.deepEqual(
    consumerFaults.filter((r) => (r.resumedMs ?? Infinity) > 20_000).map((r) => `${r.fault}: ${r.resumedMs} ms`),
    [],
  );
});
