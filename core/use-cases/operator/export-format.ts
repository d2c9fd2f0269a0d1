import { Transform } from 'node:stream';
import type { RecordedWinner } from '../../domain/decision.ts';

export const EXPORT_FORMATS = ['csv', 'json', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * One line of the export: a RecordedWinner (core/domain/decision.ts) as support hands it on, the person
 * (the canonical identity that won, core/use-cases/participant/identity.ts) and the address they typed,
 * where their mail went; its times in ISO 8601 UTC. The file's format, not another winner.
 */
export type WinnerRow = Omit<RecordedWinner, 'appliedAt' | 'decidedAt'> & { appliedAt: string | null; decidedAt: string };

const CSV_HEADER = 'ticket,person,email,applied_at,decided_at\n';

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const csvField = (v: string | number | null) => {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

const csvLine = (r: WinnerRow) => `${[r.ticket, r.person, r.email, r.appliedAt, r.decidedAt].map(csvField).join(',')}\n`;

/** Rows in, text out, one row at a time: the stream's backpressure reaches the database. */
export function formatRows(format: ExportFormat): Transform {
  let first = true;
  const open = { csv: CSV_HEADER, json: '[', ndjson: '' }[format];
  const close = { csv: '', json: '\n]\n', ndjson: '' }[format];
  return new Transform({
    writableObjectMode: true,
    transform(row: WinnerRow, _enc, done) {
      const head = first ? open : '';
      const line =
        format === 'csv'
          ? csvLine(row)
          : format === 'ndjson'
            ? `${JSON.stringify(row)}\n`
            : `${first ? '\n' : ',\n'}${JSON.stringify(row)}`;
      first = false;
      done(null, head + line);
    },
    flush(done) {
      done(null, first ? (format === 'json' ? '[]\n' : open) : close);
    },
  });
}
