/**
 * `npm test`, which README promises does all the set-up on a fresh machine:
 * 1. what the tests need and the machine lacks (tests/support/tools.ts) is installed with apt-get when
 *    running as root, saying what; anyone else is stopped here, before anything runs, with the one
 *    command to run;
 * 2. `npm run typecheck` and `npm run lint` (skipped when only some tests are asked for);
 * 3. the services answer (testcontainers when a Docker engine runs, else the machine's own, brought up
 *    by `terning services up`), and a test database is migrated;
 * 4. ava: the suite, then the production topology's tests (tests/cluster/) on their own; the two runs'
 *    counts (ava.config.js's reports, merged into artifacts/ava-report.json) give the closing line.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { servicesUp } from '../infra/index.ts';
import { requireTools } from '../infra/tools.ts';
import { startContainers } from '../tests/support/containers.ts';
import { testTools } from '../tests/support/tools.ts';
import { AVA_REPORT, closingLine, countRun, mergeRunReports, readRunReport, writeRunReport } from './run-report.ts';

const log = (line: string) => console.log(`  ${line}`);
const selection = process.argv.slice(2);

function stop(message: string): never {
  console.error(`\n${message}`);
  process.exit(1);
}

const run = (command: string, args: string[], env: Record<string, string> = {}) =>
  new Promise<number>((resolve) =>
    spawn(command, args, { stdio: 'inherit', env: { ...process.env, ...env } }).on('exit', (code) => resolve(code ?? 1)),
  );

const testDb = (url: string) => {
  const u = new URL(url);
  u.pathname = `/${u.pathname.replace(/^\//, '') || 'terning'}_test`;
  return u.toString();
};

async function prepare(): Promise<() => Promise<void>> {
  const containers = await startContainers();
  if (containers) {
    Object.assign(process.env, containers.env);
    await servicesUp({ only: ['ses'], log });
    return containers.stop;
  }
  console.log('no Docker engine: using the local services (terning services up)');
  const list = await servicesUp({ log });
  const down = list.filter((s) => !s.up);
  if (down.length) throw new Error(`services not up: ${down.map((s) => `${s.name}: ${s.detail}`).join('; ')}`);
  return async () => {};
}

/** Winner emails left queued by earlier runs (whose consumers didn't send) would only slow this one. */
async function forgetQueuedEmails(url: string) {
  const { createSequelize } = await import('../core/adapters/mysql/sequelize.ts');
  const db = createSequelize(url, { pool: 1 });
  await db.query("DELETE FROM email_outbox WHERE status = 'queued'").finally(() => db.close());
}

await requireTools('npm test', testTools(), log).catch((err: Error) => stop(err.message));
rmSync(AVA_REPORT, { force: true });

if (selection.length) {
  console.log('typecheck and lint skipped: only some tests are asked for (plain `npm test` runs them)');
} else {
  for (const check of ['typecheck', 'lint']) {
    console.log(`== npm run ${check}`);
    if ((await run('npm', ['run', '--silent', check])) !== 0) stop(`npm test: \`npm run ${check}\` failed (above), so no test was run`);
  }
}

console.log('== services');
const stopServices = await prepare().catch((err: Error) =>
  stop(`npm test: the services did not come up, so no test was run:\n${err.message}`),
);
process.env.MYSQL_URL = testDb(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/terning');
const { migrate } = await import('../cli/commands/migrate.ts');
await migrate('up', () => {});
await forgetQueuedEmails(process.env.MYSQL_URL);

// Two runs of ava, each with its own report, then one report of both (what .ci/run counts): the suite,
// then the production topology's tests (tests/cluster/, see ava.config.js) on a machine they have to
// themselves. Tests named on the command line run in one go, cluster tests among them.
const ava = (env: Record<string, string>, report: string) =>
  run(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', ...selection], { ...env, TERNING_AVA_REPORT: report });
const phases: { title: string; env: Record<string, string> }[] = selection.length
  ? [{ title: 'ava', env: { TERNING_CLUSTER_TESTS: '1' } }]
  : [
      { title: 'ava', env: { TERNING_CLUSTER_TESTS: '' } },
      { title: 'ava: the production topology (tests/cluster/)', env: { TERNING_CLUSTER_TESTS: 'only' } },
    ];
let code = 0;
const reports: string[] = [];
for (const [i, phase] of phases.entries()) {
  console.log(`== ${phase.title}`);
  const report = `${AVA_REPORT}.${i}`;
  reports.push(report);
  rmSync(report, { force: true });
  code = (await ava(phase.env, report)) || code;
}
writeRunReport(mergeRunReports(reports.map((r) => readRunReport(r))));
await stopServices();
console.log(`\ntests: ${closingLine(countRun(readRunReport()), code)}`);
process.exit(code);
