import { QueryTypes, type Sequelize } from 'sequelize';
import type { EventSettings, RestoredWinner } from '../redis/restore-scripts.ts';

export interface StoredEvent extends EventSettings { id: string }

const ms = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());

/** What MySQL, the source of truth, holds about events and their winners: read-only, in pages. */
export class MysqlState {
  constructor(private readonly sequelize: Sequelize) {}

  async event(id: string): Promise<StoredEvent | null> {
    const rows = await this.sequelize.query<{ id: string; state: string; total_stock: number; opens_at: Date | null; closes_at: Date | null }>(
      'SELECT id, state, total_stock, opens_at, closes_at FROM events WHERE id = ?',
      { replacements: [id], type: QueryTypes.SELECT },
    );
    const r = rows[0];
    return r ? { id: r.id, state: r.state, total: Number(r.total_stock), opensAt: ms(r.opens_at), closesAt: ms(r.closes_at) } : null;
  }

  async eventIds(): Promise<string[]> {
    const rows = await this.sequelize.query<{ id: string }>('SELECT id FROM events ORDER BY created_at', { type: QueryTypes.SELECT });
    return rows.map((r) => r.id);
  }

  /** Events that take applicants now or closed since `closedSince`: where reservations may be held. */
  async liveEventIds(closedSince: Date): Promise<string[]> {
    const rows = await this.sequelize.query<{ id: string }>(
      "SELECT id FROM events WHERE state = 'open' OR (state = 'closed' AND closes_at >= ?) ORDER BY created_at",
      { replacements: [closedSince], type: QueryTypes.SELECT },
    );
    return rows.map((r) => r.id);
  }

  /** Every winner of the event, `pageSize` rows at a time. */
  async *winners(eventId: string, pageSize = 2_000): AsyncGenerator<RestoredWinner[]> {
    for (let after = 0; ;) {
      const rows = await this.sequelize.query<{ id: string | number; person: string; ticket: string | number; decided_at: Date }>(
        `SELECT id, person, ticket, decided_at FROM applications
         WHERE event_id = ? AND status = 'WON' AND id > ? ORDER BY id LIMIT ?`,
        { replacements: [eventId, after, pageSize], type: QueryTypes.SELECT },
      );
      if (rows.length === 0) return;
      yield rows.map((r) => ({ person: r.person, ticket: Number(r.ticket), decidedAt: ms(r.decided_at)! }));
      after = Number(rows[rows.length - 1]!.id);
      if (rows.length < pageSize) return;
    }
  }

  /** The highest ticket MySQL knows for the event, won or released (0: none). */
  async maxTicket(eventId: string): Promise<number> {
    const [r] = await this.sequelize.query<{ t: string | number | null }>(
      'SELECT MAX(ticket) AS t FROM applications WHERE event_id = ?', { replacements: [eventId], type: QueryTypes.SELECT });
    return Number(r?.t ?? 0);
  }

  /** Which of `persons` have a WON row for the event (asked in pieces: the list may be long). */
  async wonAmong(eventId: string, persons: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < persons.length; i += 5_000) {
      const rows = await this.sequelize.query<{ person: string }>(
        "SELECT person FROM applications WHERE event_id = ? AND status = 'WON' AND person IN (?)",
        { replacements: [eventId, persons.slice(i, i + 5_000)], type: QueryTypes.SELECT },
      );
      for (const r of rows) found.add(r.person);
    }
    return found;
  }

  /** How many of the event's reservations were released (RELEASED rows). */
  async releasedCount(eventId: string): Promise<number> {
    const [r] = await this.sequelize.query<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status = 'RELEASED'", { replacements: [eventId], type: QueryTypes.SELECT });
    return Number(r?.n ?? 0);
  }
}
