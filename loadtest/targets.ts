import type { LoadSummary } from './stats.ts';

export interface Target { name: string; measured: string; bar: string; met: boolean }

/** Answers that are not a refusal the API promises (202, 200, 409): errors, timeouts, 4xx/5xx. */
export function failures(l: LoadSummary): number {
  return Object.entries(l.byStatus).filter(([s]) => !['200', '202', '409'].includes(s)).reduce((a, [, n]) => a + n, 0);
}

export const target = (name: string, measured: string, bar: string, met: boolean): Target => ({ name, measured, bar, met });
