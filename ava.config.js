// ava's settings. Beside its report on the terminal, each run leaves the runner's own final counts in
// artifacts/ava-report.json (or $TERNING_AVA_REPORT), which `npm test` and .ci/run count
// (scripts/run-report.ts): every test that passed, failed or never finished, every failed hook,
// crashed worker, timeout, uncaught exception and unhandled rejection, as ava counted them.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const CLUSTER_TESTS = ['tests/cluster/**/*.test.ts'];
// `npm run test:unit`: the tests that need no service (no Kafka, Redis, MySQL, SES, browser or
// terminal): the rules, codecs, Lua contracts, proofs and use cases against fakes of their narrow ports.
// The service tests stay where they are, in `npm test`, which runs these too.
export const UNIT_TESTS = [
  'tests/codec.test.ts',
  'tests/config.test.ts',
  'tests/deps.test.ts',
  'tests/fault-judge.test.ts',
  'tests/give-back-order.test.ts',
  'tests/group-commit.test.ts',
  'tests/check-log.test.ts',
  'tests/log-builder.test.ts',
  'tests/lua-contracts.test.ts',
  'tests/merkle.test.ts',
  'tests/persist.test.ts',
  'tests/recovery.test.ts',
  'tests/reconcile-report.test.ts',
  'tests/stale-reservations.test.ts',
  'tests/standing-watch.test.ts',
  'tests/known-event-ids.test.ts',
  'tests/mail-winners.test.ts',
  'tests/run-report.test.ts',
  'tests/sold-out-answer.test.ts',
  'tests/jws.test.ts',
  'tests/tokens.test.ts',
  'tests/network.test.ts',
  'tests/compose.test.ts',
  'tests/compose-prod.test.ts',
  'tests/api-doc.test.ts',
  'tests/console.test.tsx',
];
const report = () => resolve(process.env.TERNING_AVA_REPORT || 'artifacts/ava-report.json');

export default {
  extensions: { ts: 'module', tsx: 'module' },
  nodeArguments: ['--import=tsx'],
  // The production topology's tests (tests/cluster/: Redis Sentinel, three Kafka brokers) start their own
  // clusters and load a 2-core machine for minutes: `npm test` runs them after the rest, on their own
  // (TERNING_CLUSTER_TESTS=only), so that they never share the machine with the timing-sensitive tests.
  // TERNING_CLUSTER_TESTS=1 runs them with the rest.
  files:
    process.env.TERNING_UNIT === '1'
      ? UNIT_TESTS
      : process.env.TERNING_CLUSTER_TESTS === 'only'
        ? CLUSTER_TESTS
        : [
            'tests/**/*.test.ts',
            'tests/**/*.test.tsx',
            ...(process.env.TERNING_CLUSTER_TESTS === '1' ? [] : CLUSTER_TESTS.map((f) => `!${f}`)),
          ],
  timeout: '2m',
  // The cluster tests one at a time: two of them side by side start six Kafka JVMs on two cores, and a
  // CI run saw a cluster's third broker not registered within its 90 s.
  concurrency: process.env.TERNING_CLUSTER_TESTS === 'only' ? 1 : 2,
  workerThreads: false,
  // ava's one way to hear a run's events beside its own reporter (an experiment: tests/run-report.test.ts
  // runs real failures through it).
  nonSemVerExperiments: { observeRunsFromConfig: true },
  async observeRun(run) {
    const file = report();
    rmSync(file, { force: true });
    let stats;
    for await (const event of run.events) {
      if (event.type === 'stats') stats = event.stats;
      if (event.type === 'end' && stats) {
        mkdirSync(dirname(file), { recursive: true });
        // Written at once: ava exits right after its last event.
        writeFileSync(file, `${JSON.stringify({ ...stats, byFile: undefined, parallelRuns: undefined }, null, 2)}\n`);
      }
    }
  },
};
