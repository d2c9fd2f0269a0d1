import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eventNotFound } from '../../platform/errors.ts';
import type { RecordedWinner } from '../../domain/decision.ts';
import type { WinnersTable } from '../../adapters/mysql/winners-table.ts';
import { formatRows, type ExportFormat, type WinnerRow } from './export-format.ts';

export interface ExportProgress {
  rows: number;
  total: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * An event's winners, in ticket order, streamed straight from MySQL to `out`: a million rows never
 * sit in memory, and a slow `out` slows the query down instead of filling a buffer.
 */
export async function exportWinners(
  winners: WinnersTable,
  opts: {
    eventId: string;
    format: ExportFormat;
    out: Writable;
    /** Leave `out` open at the end (stdout). */
    keepOpen?: boolean;
    onProgress?: (p: ExportProgress) => void;
  },
): Promise<ExportProgress> {
  const total = await winners.count(opts.eventId);
  if (total === null) throw eventNotFound(opts.eventId);
  const progress: ExportProgress = { rows: 0, total };
  const toRow = new Transform({
    objectMode: true,
    transform(w: RecordedWinner, _enc, done) {
      progress.rows++;
      opts.onProgress?.(progress);
      const row: WinnerRow = {
        ticket: w.ticket,
        person: w.person,
        email: w.email,
        appliedAt: w.appliedAt === null ? null : iso(w.appliedAt),
        decidedAt: iso(w.decidedAt),
      };
      done(null, row);
    },
  });
  await pipeline(await winners.stream(opts.eventId), toRow, formatRows(opts.format), opts.out, { end: !opts.keepOpen });
  return progress;
}
