import type { Connection, RowDataPacket } from 'mysql2';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Readable } from 'node:stream';
import type { RecordedWinner } from '../../domain/decision.ts';
import { UNREPLACED_DEAD_LETTERED } from './dead-lettered-winners.ts';

type Raw = { ticket: number | string; person: string; email: string; applied_at: Date | null; decided_at: Date };

/**
 * Every winner of an event: its WON rows, and the winners told 202 whose rows MySQL refused (dead-lettered,
 * kept in dead_lettered_winners) that no row has replaced yet.
 */
const WINNERS = `SELECT ticket, person, email, applied_at, decided_at FROM applications WHERE event_id = ? AND status = 'WON'
  UNION ALL
  SELECT d.ticket, d.person, d.email, NULL, d.decided_at ${UNREPLACED_DEAD_LETTERED}`;

/**
 * An event's winners for export, read through the process's one Sequelize pool: counted, then streamed in
 * ticket order on one of the pool's own connections (Sequelize has no streaming query of its own), so a
 * million rows never sit in memory and a slow reader slows the query down.
 */
export class WinnersTable {
  constructor(private readonly sequelize: Sequelize) {}

  /** How many winners the event has; null when there is no such event. */
  async count(eventId: string): Promise<number | null> {
    const events = await this.sequelize.query('SELECT id FROM events WHERE id = ?', { replacements: [eventId], type: QueryTypes.SELECT });
    if (events.length === 0) return null;
    const [r] = await this.sequelize.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM (${WINNERS}) w`, {
      replacements: [eventId, eventId],
      type: QueryTypes.SELECT,
    });
    return Number(r?.n ?? 0);
  }

  /** The winners in ticket order; the connection goes back to the pool when the stream ends or fails. */
  async stream(eventId: string): Promise<Readable> {
    const { connectionManager } = this.sequelize as unknown as {
      connectionManager: {
        getConnection(o: { type: 'read' }): Promise<Connection>;
        releaseConnection(c: Connection): void;
        destroyConnection(c: Connection): Promise<void>;
      };
    };
    const conn = await connectionManager.getConnection({ type: 'read' });
    const rows = conn.query<RowDataPacket[]>(`${WINNERS} ORDER BY ticket`, [eventId, eventId]).stream({ highWaterMark: 1_000 });
    // Read to its end, the connection goes back to the pool. Stopped early (the reader went away, a
    // write failed), the query would go on reading the rest of the result on it: it is closed instead.
    let done = false;
    const finish = (whole: boolean) => {
      if (done) return;
      done = true;
      if (whole) {
        connectionManager.releaseConnection(conn);
      } else {
        conn.destroy();
        void connectionManager.destroyConnection(conn).catch(() => {});
      }
    };
    // Not 'end': mysql2 emits it on a stream closed early too. readableEnded says whether it was read whole.
    rows.once('error', () => finish(false)).once('close', () => finish(rows.readableEnded));
    const winners = rows.map((r: Raw): RecordedWinner => ({
      ticket: Number(r.ticket),
      person: r.person,
      email: r.email,
      appliedAt: r.applied_at?.getTime() ?? null,
      decidedAt: r.decided_at.getTime(),
    }));
    // Destroying what the caller holds must reach the query's own stream.
    winners.once('close', () => {
      if (!rows.destroyed) rows.destroy();
    });
    return winners;
  }
}
