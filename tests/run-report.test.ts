import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ROOT } from '../core/platform/root.ts';
import { closingLine, countRun, mergeRunReports, readRunReport, type AvaStats } from '../scripts/run-report.ts';

// Real ava runs (ava.config.js's settings and its report, on small test files written here) with each
// kind of failure ava knows, counted the way `npm test` and .ci/run count them.
const CRASHES: Record<string, string> = {
  'plain.test.mjs': `
    test('passes', (t) => t.pass());
    test('fails', (t) => t.is(1, 2));
    test.skip('is skipped', (t) => t.pass());
    test.todo('is to do');`,
  'before-hook.test.mjs': `
    test.before(() => { throw new Error('the before hook broke'); });
    test('never runs', (t) => t.pass());
    test('never runs either', (t) => t.pass());`,
  'after-hook.test.mjs': `
    test.after.always(() => { throw new Error('the after hook broke'); });
    test('runs', (t) => t.pass());`,
  'killed.test.mjs': `
    test.serial('passes first', (t) => t.pass());
    test.serial('kills its worker', () => { process.kill(process.pid, 'SIGKILL'); });
    test.serial('is never reached', (t) => t.pass());`,
  'exits.test.mjs': `
    test('calls process.exit', async () => { setTimeout(() => process.exit(3), 10); await new Promise((r) => setTimeout(r, 1000)); });`,
  'uncaught.test.mjs': `
    test('throws outside the test', async (t) => { setTimeout(() => { throw new Error('uncaught'); }, 1); await new Promise((r) => setTimeout(r, 300)); t.pass(); });`,
  'rejection.test.mjs': `
    test('leaves a rejection unhandled', async (t) => { Promise.reject(new Error('unhandled')); await new Promise((r) => setTimeout(r, 50)); t.pass(); });`,
};

const TIMEOUT: Record<string, string> = {
  'hangs.test.mjs': `
    test.serial('passes', (t) => t.pass());
    test.serial('never ends', async () => { await new Promise((r) => setTimeout(r, 60_000)); });`,
};

/** `timeout` is ava's: how long the run may go without a test finishing, worker start-up included. */
async function runAva(
  files: Record<string, string>,
  timeout: string,
): Promise<{ exitCode: number; output: string; stats: AvaStats | undefined }> {
  const dir = mkdtempSync(join(tmpdir(), 'terning-ava-'));
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      join(dir, 'ava.config.js'),
      [
        `import config from ${JSON.stringify(pathToFileURL(join(ROOT, 'ava.config.js')).href)};`,
        `export default { ...config, files: ['*.test.mjs'], extensions: ['mjs'], nodeArguments: [], timeout: '${timeout}' };`,
      ].join('\n'),
    );
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), `import test from 'ava';\n${body}\n`);
    const report = join(dir, 'report.json');
    const { exitCode, output } = await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/ava/entrypoints/cli.mjs')], {
      cwd: dir,
      env: { ...process.env, TERNING_AVA_REPORT: report },
    }).then(
      (r) => ({ exitCode: 0, output: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ exitCode: e.code ?? 1, output: `${e.stdout}${e.stderr}` }),
    );
    return { exitCode, output, stats: readRunReport(report) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('failed hooks, crashed workers, process.exit, uncaught exceptions and unhandled rejections count as failures', async (t) => {
  const { exitCode, output, stats } = await runAva(CRASHES, '1m');
  t.is(exitCode, 1, output);
  t.like(
    stats,
    {
      passedTests: 4,
      failedTests: 1,
      skippedTests: 1,
      failedHooks: 2,
      failedWorkers: 4,
      uncaughtExceptions: 1,
      unhandledRejections: 1,
      unexpectedProcessExits: 1,
      // The before hook's two tests, the killed worker's two, the exiting one and the uncaught one's.
      remainingTests: 6,
    },
    output,
  );
  t.deepEqual(countRun(stats), { passed: 4, failed: 1 + 6 + 2 + 4 + 1 + 1 + 1, skipped: 1 });
  t.is(closingLine(countRun(stats), exitCode), '4 passed, 16 failed, 1 skipped');
});

test('a timeout counts, and so does each test it left unfinished', async (t) => {
  const { exitCode, output, stats } = await runAva(TIMEOUT, '10s');
  t.is(exitCode, 1, output);
  t.like(stats, { passedTests: 1, timeouts: 1, remainingTests: 1 }, output);
  t.is(closingLine(countRun(stats), exitCode), '1 passed, 2 failed');
});

test('a run that died before ava reported, or exited non-zero with nothing failed, shows a failure', (t) => {
  t.is(closingLine(countRun(undefined), 1), '0 passed, 1 failed');
  const clean = countRun({
    passedTests: 3,
    passedKnownFailingTests: 0,
    failedTests: 0,
    remainingTests: 0,
    skippedTests: 0,
    failedHooks: 0,
    failedWorkers: 0,
    timeouts: 0,
    uncaughtExceptions: 0,
    unhandledRejections: 0,
    unexpectedProcessExits: 0,
    internalErrors: 0,
    sharedWorkerErrors: 0,
  });
  t.is(closingLine(clean, 0), '3 passed, 0 failed');
  t.is(closingLine(clean, 1), '3 passed, 1 failed');
});

test("npm test's two runs (the suite, then tests/cluster/) count as one: their counts added, a run without a report one failure", async (t) => {
  const [crashes, timeout] = await Promise.all([runAva(CRASHES, '1m'), runAva(TIMEOUT, '10s')]);
  const both = countRun(mergeRunReports([crashes.stats, timeout.stats]));
  t.deepEqual(both, { passed: 4 + 1, failed: 16 + 2, skipped: 1 });
  t.is(closingLine(countRun(mergeRunReports([timeout.stats, undefined])), 1), '1 passed, 3 failed');
  t.is(closingLine(countRun(mergeRunReports([undefined])), 1), '0 passed, 1 failed');
});
