import type { Outcome } from './check.ts';

export interface Row extends Omit<Outcome, 'notes'> {
  fault: string;
  injected: number;
  rounds: number;
  /** The longest time from a fault's end until persistence resumed, over its rounds; null when it never did. */
  resumedMs?: number | null;
  /** The longest stretch of a round from the first apply answered 503 (sent) to the last (answered). */
  refusedMs?: number;
}

const COUNTS = ['applicants', 'lost', 'duplicates', 'oversold', 'undersold', 'outOfOrder', 'unanswered', 'stuck'] as const;
const COLUMNS: [keyof Row, string][] = [
  ['fault', 'fault'],
  ['injected', 'times injected'],
  ['applicants', 'applicants'],
  ['lost', 'lost'],
  ['duplicates', 'duplicates'],
  ['oversold', 'oversold'],
  ['undersold', 'undersold'],
  ['outOfOrder', 'out of order'],
  ['unanswered', 'unanswered'],
  ['stuck', 'stuck'],
  ['refusedMs', 'refused (503)'],
  ['resumedMs', 'resumed after'],
];

export const emptyRow = (fault: string): Row => ({
  fault,
  injected: 0,
  rounds: 0,
  ...(Object.fromEntries(COUNTS.map((k) => [k, 0])) as Record<(typeof COUNTS)[number], number>),
});

export function addOutcome(row: Row, o: Omit<Outcome, 'notes'>): void {
  for (const k of COUNTS) row[k] += o[k];
}

/** The slowest recovery is the one that counts; never resuming beats any time. */
export function addResumed(row: Row, ms: number | null | undefined): void {
  if (ms === undefined) return;
  row.resumedMs = row.resumedMs === null || ms === null ? null : Math.max(row.resumedMs ?? 0, ms);
}

/** Applies refused for the longest over the rounds. */
export function addRefused(row: Row, ms: number): void {
  row.refusedMs = Math.max(row.refusedMs ?? 0, ms);
}

export const failures = (r: Row) =>
  r.lost + r.duplicates + r.oversold + r.undersold + r.outOfOrder + r.unanswered + r.stuck + (r.resumedMs === null ? 1 : 0);

const cell = (r: Row, k: keyof Row) => {
  if (k === 'refusedMs') return r.refusedMs === undefined ? '-' : `${(r.refusedMs / 1000).toFixed(1)} s`;
  if (k !== 'resumedMs') return String(r[k]);
  return r.resumedMs === undefined ? '-' : r.resumedMs === null ? 'never' : `${(r.resumedMs / 1000).toFixed(1)} s`;
};

/** One table: a row per fault kind, the counts summed over its rounds, and a total. */
export function formatTable(rows: Row[]): string {
  const total = emptyRow('total');
  for (const r of rows) {
    total.injected += r.injected;
    addOutcome(total, r);
    addResumed(total, r.resumedMs);
    if (r.refusedMs !== undefined) addRefused(total, r.refusedMs);
  }
  const all = [...rows, total];
  const widths = COLUMNS.map(([k, title]) => Math.max(title.length, ...all.map((r) => cell(r, k).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [
    line(COLUMNS.map(([, t]) => t)),
    rule,
    ...rows.map((r) => line(COLUMNS.map(([k]) => cell(r, k)))),
    rule,
    line(COLUMNS.map(([k]) => cell(total, k))),
  ].join('\n');
}
