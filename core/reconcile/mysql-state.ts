import { QueryTypes, type Sequelize } from 'sequelize';
import type { Decision } from '../redis/scripts.ts';

export interface StoredEvent { id: string; state: string; totalStock: number; opensAt: number | null; closesAt: number | null }

export interface StoredDecision { id: number; email: string; decision: Decision; ticket: number; decidedAt: number; appliedAt: number }

const ms = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());

/** What MySQL, the source of truth, holds about an event: read-only, in pages, for restores and reconcile. */
export class MysqlState {
  constructor(private readonly sequelize: Sequelize) {}

  async event(id: string): Promise<StoredEvent | null> {
    const rows = await this.sequelize.query<{ id: string; state: string; total_stock: number; opens_at: Date | null; closes_at: Date | null }>(
      'SELECT id, state, total_stock, opens_at, closes_at FROM events WHERE id = ?',
      { replacements: [id], type: QueryTypes.SELECT },
    );
    const r = rows[0];
    return r ? { id: r.id, state: r.state, totalStock: Number(r.total_stock), opensAt: ms(r.opens_at), closesAt: ms(r.closes_at) } : null;
  }

  async eventIds(): Promise<string[]> {
    const rows = await this.sequelize.query<{ id: string }>('SELECT id FROM events ORDER BY created_at', { type: QueryTypes.SELECT });
    return rows.map((r) => r.id);
  }

  /** Every decision of the event, `pageSize` rows at a time, in the order they were written. */
  async *decisions(eventId: string, pageSize = 2_000): AsyncGenerator<StoredDecision[]> {
    for (let after = 0; ;) {
      const rows = await this.sequelize.query<{ id: string | number; email: string; ticket: string | number; status: string; applied_at: Date | null; decided_at: Date }>(
        `SELECT id, email, ticket, status, applied_at, decided_at FROM applications
         WHERE event_id = ? AND id > ? ORDER BY id LIMIT ?`,
        { replacements: [eventId, after, pageSize], type: QueryTypes.SELECT },
      );
      if (rows.length === 0) return;
      yield rows.map((r) => {
        const decidedAt = ms(r.decided_at)!;
        return {
          id: Number(r.id),
          email: r.email,
          decision: r.status === 'WON' ? 'W' : 'L',
          ticket: Number(r.ticket),
          decidedAt,
          appliedAt: ms(r.applied_at) ?? decidedAt,
        };
      });
      after = Number(rows[rows.length - 1]!.id);
      if (rows.length < pageSize) return;
    }
  }
}
