import mysql, { type Connection, type RowDataPacket } from 'mysql2';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { notFound } from '../errors.ts';
import { formatRows, type ExportFormat, type WinnerRow } from './format.ts';

export interface ExportProgress { rows: number; total: number }

/** '2026-12-01 10:00:00.123' (UTC, as stored) to '2026-12-01T10:00:00.123Z'. */
const iso = (s: string | null) => (s === null ? null : `${s.replace(' ', 'T')}Z`);

/**
 * An event's winners, in ticket order, streamed straight from MySQL to `out`: a million rows never
 * sit in memory, and a slow `out` slows the query down instead of filling a buffer.
 */
export async function exportWinners(opts: {
  mysqlUrl: string;
  eventId: string;
  format: ExportFormat;
  out: Writable;
  /** Leave `out` open at the end (stdout). */
  keepOpen?: boolean;
  onProgress?: (p: ExportProgress) => void;
}): Promise<ExportProgress> {
  const conn = mysql.createConnection({ uri: opts.mysqlUrl, dateStrings: true, supportBigNumbers: true, connectTimeout: 5_000 });
  try {
    await one(conn, 'SELECT 1');
    if ((await one(conn, 'SELECT id FROM events WHERE id = ?', [opts.eventId])).length === 0) {
      throw notFound('EVENT_NOT_FOUND', `there is no event "${opts.eventId}"`);
    }
    const [{ n }] = (await one(conn, "SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status = 'WON'", [opts.eventId])) as [{ n: number }];
    const progress: ExportProgress = { rows: 0, total: Number(n) };
    const rows = conn
      .query("SELECT ticket, person, email, applied_at, decided_at FROM applications WHERE event_id = ? AND status = 'WON' ORDER BY ticket", [opts.eventId])
      .stream({ highWaterMark: 1_000 }) as Readable;
    const toWinner = new Transform({
      objectMode: true,
      transform(r: { ticket: number | string; person: string; email: string; applied_at: string | null; decided_at: string }, _enc, done) {
        progress.rows++;
        opts.onProgress?.(progress);
        done(null, { ticket: Number(r.ticket), person: r.person, email: r.email, appliedAt: iso(r.applied_at), decidedAt: iso(r.decided_at)! } satisfies WinnerRow);
      },
    });
    await pipeline(rows, toWinner, formatRows(opts.format), opts.out, { end: !opts.keepOpen });
    return progress;
  } finally {
    conn.destroy();
  }
}

function one(conn: Connection, sql: string, params: unknown[] = []): Promise<RowDataPacket[]> {
  return new Promise((resolve, reject) => conn.query<RowDataPacket[]>(sql, params, (e, rows) => (e ? reject(e) : resolve(rows))));
}
