import type { Outcome } from './check.ts';

export interface Row extends Omit<Outcome, 'notes'> { fault: string; injected: number; rounds: number }

const COLUMNS: [keyof Row, string][] = [
  ['fault', 'fault'], ['injected', 'times injected'], ['applicants', 'applicants'], ['lost', 'lost'],
  ['duplicates', 'duplicates'], ['oversold', 'oversold'], ['undersold', 'undersold'], ['stuck', 'stuck'],
];

export function addOutcome(row: Row, o: Outcome): void {
  row.applicants += o.applicants;
  row.lost += o.lost;
  row.duplicates += o.duplicates;
  row.oversold += o.oversold;
  row.undersold += o.undersold;
  row.stuck += o.stuck;
}

export const failures = (r: Row) => r.lost + r.duplicates + r.oversold + r.undersold + r.stuck;

/** One table: a row per fault kind, the counts summed over its rounds, and a total. */
export function formatTable(rows: Row[]): string {
  const total: Row = { fault: 'total', injected: 0, rounds: 0, applicants: 0, lost: 0, duplicates: 0, oversold: 0, undersold: 0, stuck: 0 };
  for (const r of rows) {
    total.injected += r.injected;
    addOutcome(total, r as unknown as Outcome);
  }
  const all = [...rows, total];
  const widths = COLUMNS.map(([k, title]) => Math.max(title.length, ...all.map((r) => String(r[k]).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(COLUMNS.map(([, t]) => t)), rule, ...rows.map((r) => line(COLUMNS.map(([k]) => String(r[k])))), rule, line(COLUMNS.map(([k]) => String(total[k])))].join('\n');
}
