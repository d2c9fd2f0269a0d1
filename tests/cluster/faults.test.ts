import test from 'ava';
import { runSuite } from '../../faults/suite.ts';
import { failures, formatTable } from '../../faults/table.ts';

// The short variant of `npm run test:faults -- --cluster`: on three Kafka brokers and Redis with two
// replicas and three Sentinels of the suite's own (the shared services are never touched), one round
// of a Redis failover (the primary killed -9 while people apply), one of the primary cut off from the
// Sentinels and its replicas while terning still reaches it, and one of the partition leader's broker
// killed -9.
test('on the production topology, a Redis failover, a Redis partition and a broker kill lose, duplicate, oversell, undersell and strand no one', async (t) => {
  t.timeout(12 * 60_000);
  const result = await runSuite({
    cluster: true,
    rounds: 1,
    applicants: 40,
    only: ['redis: primary kill', 'redis: primary cut off', 'broker kill'],
    log: (l) => t.log(l),
  });
  t.log(`\n${formatTable(result.rows)}`);
  t.deepEqual(
    result.rows.map((r) => r.fault),
    [
      "kafka: partition leader's broker kill -9, back after 10 s",
      'redis: primary kill -9 (Sentinel promotes the replica)',
      'redis: primary cut off from the Sentinels and replicas 10 s (terning still reaches it)',
    ],
  );
  t.true(
    result.rows.every((r) => r.injected === 1),
    'every fault was injected',
  );
  t.deepEqual(
    result.rows.filter((r) => failures(r) > 0).map((r) => r.fault),
    [],
    result.notes.join('\n'),
  );
  t.is(result.deadLetters.unaccounted, 0, result.notes.join('\n'));
  t.is(result.crashes, 0, result.notes.join('\n'));
});
