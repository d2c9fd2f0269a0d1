import type { LoadSummary } from './stats.ts';

/**
 * A figure against its bar. A target (`invariant` unset) is a speed or size to reach, missed on a busy
 * machine without anything broken; an invariant is a promise of docs/promises.md's, and the run fails on it.
 */
export interface Target {
  name: string;
  measured: string;
  bar: string;
  met: boolean;
  invariant?: boolean;
}

/** Answers that are not a refusal the API promises (202, 200, 409): errors, timeouts, 4xx/5xx. */
export function failures(l: LoadSummary): number {
  return Object.entries(l.byStatus)
    .filter(([s]) => !['200', '202', '409'].includes(s))
    .reduce((a, [, n]) => a + n, 0);
}

export const target = (name: string, measured: string, bar: string, met: boolean): Target => ({ name, measured, bar, met });
export const invariant = (name: string, measured: string, bar: string, met: boolean): Target => ({
  name,
  measured,
  bar,
  met,
  invariant: true,
});

/** Issue 23's bars, one place for every scenario that prints them. */
export const BARS = {
  /** Throughput against the trivial server's, hit the same way. */
  ceilingRatio: 0.75,
  soldOutUs: 60,
  acceptedUs: 100,
  apiRssMb: 200,
  persistedPerSecond: 20_000,
} as const;

/** A run's throughput against the ceiling's, hit the same way: issue 23's bar. */
export function throughputTarget(name: string, load: LoadSummary, ceilingPerSecond: number | undefined): Target {
  const ratio = ceilingPerSecond ? Math.round((load.throughputPerSecond / ceilingPerSecond) * 100) / 100 : undefined;
  return target(
    `${name}: throughput vs the ceiling hit the same way`,
    `${load.throughputPerSecond}/s vs ${ceilingPerSecond ?? '-'}/s (x${ratio ?? '-'}), p99 ${load.latencyMs.p99} ms`,
    `>= x${BARS.ceilingRatio}`,
    ratio !== undefined && ratio >= BARS.ceilingRatio,
  );
}

/** The invariants a run broke: the benchmark exits 1 when there is any, whatever its speed. */
export const violated = (targets: Target[]): Target[] => targets.filter((t) => t.invariant && !t.met);
