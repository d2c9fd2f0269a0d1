/**
 * `npm run test:faults [-- --rounds 3 --applicants 150 --only redis --cluster]`: the fault-injection
 * suite. It brings up its own Kafka, Redis and MariaDB (never the machine's shared ones), runs real API
 * and consumer processes, injects every fault kind `rounds` times during bursts of applicants, checks
 * every promise, prints one table, and exits 1 unless every count is 0. With --cluster, on three Kafka
 * brokers and Redis with two replicas and three Sentinels, with their own faults (faults/cluster-faults.ts).
 * With --random N [--seed S], N random schedules of overlapping faults on that topology (faults/random.ts).
 */
import { parseArgs } from 'node:util';
import { runSuite } from './suite.ts';
import { runRandom } from './random.ts';
import { failures, formatTable } from './table.ts';
import { printRandom } from './random-report.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    applicants: { type: 'string' },
    only: { type: 'string', multiple: true },
    cluster: { type: 'boolean', default: false },
    random: { type: 'string' },
    seed: { type: 'string' },
  },
});
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const minutes = () => ((Date.now() - started) / 60_000).toFixed(1);
if (values.random !== undefined) {
  const seed = values.seed === undefined ? Math.floor(Math.random() * 1_000_000_000) : Number(values.seed);
  log(`seed ${seed} (replay with --seed ${seed})`);
  const results = await runRandom({
    schedules: Number(values.random),
    seed,
    applicants: values.applicants === undefined ? undefined : Number(values.applicants),
    only: values.only,
    log,
  });
  const broken = printRandom(results, console.log);
  console.log(`${broken === 0 ? 'no promise broken' : `${broken} broken promises`} in ${results.length} schedules, ${minutes()} min`);
  process.exit(broken === 0 ? 0 : 1);
}
const result = await runSuite({
  rounds: Number(values.rounds),
  applicants: Number(values.applicants ?? 150),
  only: values.only,
  cluster: values.cluster,
  log,
});
console.log(`\n${formatTable(result.rows)}`);
console.log(`dead letters: ${result.deadLetters.letters}, unaccounted ${result.deadLetters.unaccounted}`);
for (const n of result.notes) console.log(`note: ${n}`);
if (result.crashes) console.log(`processes that crashed on their own: ${result.crashes}`);
const bad = result.rows.reduce((n, r) => n + failures(r), 0) + result.deadLetters.unaccounted + result.crashes;
console.log(`${bad === 0 ? 'no promise broken' : `${bad} broken promises`} in ${minutes()} min`);
process.exit(bad === 0 ? 0 : 1);
