/**
 * The count of a test run, from the runner's own numbers: ava.config.js writes ava's final stats to
 * artifacts/ava-report.json when the run ends. Failed are the tests that failed or never finished (cut
 * short by a timeout, a crash or a failed hook), and every failed hook, crashed worker, timeout, uncaught
 * exception, unhandled rejection, process.exit() and internal error ava reported, each once. No report
 * means the run died before ava finished it: one failure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fromRoot } from '../core/root.ts';

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

export interface Count { passed: number; failed: number; skipped: number }

export function countRun(stats: AvaStats | undefined): Count {
  if (!stats) return { passed: 0, failed: 1, skipped: 0 };
  const failed = stats.failedTests + stats.remainingTests + stats.failedHooks + stats.failedWorkers + stats.timeouts
    + stats.uncaughtExceptions + stats.unhandledRejections + stats.unexpectedProcessExits + stats.internalErrors + stats.sharedWorkerErrors;
  return { passed: stats.passedTests + stats.passedKnownFailingTests, failed, skipped: stats.skippedTests };
}

export const readRunReport = (file = AVA_REPORT): AvaStats | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as AvaStats) : undefined;

/** "N passed, N failed" (", N skipped" when some were); a run that exited non-zero failed at least once. */
export function closingLine({ passed, failed, skipped }: Count, exitCode: number): string {
  const failures = exitCode !== 0 && failed === 0 ? 1 : failed;
  return `${passed} passed, ${failures} failed${skipped ? `, ${skipped} skipped` : ''}`;
}
