import { REFUSED_BOUND_MS } from './judge.ts';
import type { ScheduleResult } from './random.ts';

/** The random run's figures, and every broken promise with the seed that replays it; returns how many were broken. */
export function printRandom(results: ScheduleResult[], print: (line: string) => void): number {
  const faults = new Map<string, number>();
  for (const r of results)
    for (const f of r.faults) {
      const kind = f.slice(0, f.indexOf(' (') < 0 ? undefined : f.indexOf(' ('));
      faults.set(kind, (faults.get(kind) ?? 0) + 1);
    }
  const sum = (f: (r: ScheduleResult) => number) => results.reduce((n, r) => n + f(r), 0);
  print(
    `\n${results.length} schedules, ${sum((r) => r.faults.length)} faults, ${sum((r) => r.applicants)} applicants (${sum((r) => r.persons)} people), ${sum((r) => r.won)} won, ${sum((r) => r.soldOut)} sold out`,
  );
  for (const [kind, count] of [...faults].sort()) print(`  ${String(count).padStart(4)}  ${kind}`);
  print(`longest refusal ${(Math.max(0, ...results.map((r) => r.refusedMs)) / 1000).toFixed(1)} s (bound ${REFUSED_BOUND_MS / 1000} s)`);
  const broken = results.filter((r) => r.violations.length);
  for (const r of broken) for (const v of r.violations) print(`BROKEN seed ${r.seed}: ${v.rule}: ${v.detail}`);
  return sum((r) => r.violations.length);
}
