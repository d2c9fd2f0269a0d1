/**
 * The count of a test run, from the runner's own numbers: ava.config.js writes ava's final stats to
 * artifacts/ava-report.json when the run ends. Failed are the tests that failed or never finished (cut
 * short by a timeout, a crash or a failed hook), and every failed hook, crashed worker, timeout, uncaught
 * exception, unhandled rejection, process.exit() and internal error ava reported, each once. No report
 * means the run died before ava finished it: one failure.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromRoot } from '../core/platform/root.ts';

export const AVA_REPORT = fromRoot('artifacts', 'ava-report.json');

/** The part of ava's RunStatus stats that is counted. */
export interface AvaStats {
  passedTests: number;
  passedKnownFailingTests: number;
  failedTests: number;
  remainingTests: number;
  skippedTests: number;
  failedHooks: number;
  failedWorkers: number;
  timeouts: number;
  uncaughtExceptions: number;
  unhandledRejections: number;
  unexpectedProcessExits: number;
  internalErrors: number;
  sharedWorkerErrors: number;
}

export interface Count {
  passed: number;
  failed: number;
  skipped: number;
}

export function countRun(stats: AvaStats | undefined): Count {
  if (!stats) return { passed: 0, failed: 1, skipped: 0 };
  const failed =
    stats.failedTests +
    stats.remainingTests +
    stats.failedHooks +
    stats.failedWorkers +
    stats.timeouts +
    stats.uncaughtExceptions +
    stats.unhandledRejections +
    stats.unexpectedProcessExits +
    stats.internalErrors +
    stats.sharedWorkerErrors;
  return { passed: stats.passedTests + stats.passedKnownFailingTests, failed, skipped: stats.skippedTests };
}

export const readRunReport = (file = AVA_REPORT): AvaStats | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as AvaStats) : undefined;

export function writeRunReport(stats: AvaStats, file = AVA_REPORT): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(stats, null, 2)}\n`);
}

const NO_RUN: AvaStats = {
  passedTests: 0,
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
};

/** The reports of several runs as one: their counts added up; a run that left no report died, one internal error. */
export function mergeRunReports(runs: (AvaStats | undefined)[]): AvaStats {
  const total = { ...NO_RUN };
  for (const stats of runs) {
    if (!stats) total.internalErrors++;
    else for (const key of Object.keys(total) as (keyof AvaStats)[]) total[key] += stats[key] ?? 0;
  }
  return total;
}

/** "N passed, N failed" (", N skipped" when some were); a run that exited non-zero failed at least once. */
export function closingLine({ passed, failed, skipped }: Count, exitCode: number): string {
  const failures = exitCode !== 0 && failed === 0 ? 1 : failed;
  return `${passed} passed, ${failures} failed${skipped ? `, ${skipped} skipped` : ''}`;
}
