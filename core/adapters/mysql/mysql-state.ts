import { QueryTypes, type Sequelize } from 'sequelize';
import { UNREPLACED_DEAD_LETTERED } from './dead-lettered-winners.ts';
import type { EventSettings, EventState } from '../../domain/event.ts';
import type { Winner } from '../../domain/decision.ts';

export interface StoredEvent extends EventSettings {
  id: string;
}

const ms = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());

/** What MySQL, the source of truth, holds about events and their winners, in pages; read-only but for recordGeneration(). */
export class MysqlState {
  constructor(private readonly sequelize: Sequelize) {}

  async event(id: string): Promise<StoredEvent | null> {
    const rows = await this.sequelize.query<{
      id: string;
      state: EventState;
      total_stock: number;
      opens_at: Date | null;
      closes_at: Date | null;
    }>('SELECT id, state, total_stock, opens_at, closes_at FROM events WHERE id = ?', { replacements: [id], type: QueryTypes.SELECT });
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

  /**
   * Every winner of the event, `pageSize` rows at a time: the WON rows, then the dead-lettered winners
   * (told 202, their rows refused) that no row has replaced yet.
   */
  async *winners(eventId: string, pageSize = 2_000): AsyncGenerator<Winner[]> {
    for (let after = 0; ;) {
      const rows = await this.sequelize.query<{ id: string | number; person: string; ticket: string | number; decided_at: Date }>(
        `SELECT id, person, ticket, decided_at FROM applications
         WHERE event_id = ? AND status = 'WON' AND id > ? ORDER BY id LIMIT ?`,
        { replacements: [eventId, after, pageSize], type: QueryTypes.SELECT },
      );
      if (rows.length) yield rows.map((r) => ({ person: r.person, ticket: Number(r.ticket), decidedAt: ms(r.decided_at)! }));
      if (rows.length < pageSize) break;
      after = Number(rows[rows.length - 1]!.id);
    }
    const held = await this.sequelize.query<{ person: string; ticket: string | number; decided_at: Date }>(
      `SELECT d.person, d.ticket, d.decided_at ${UNREPLACED_DEAD_LETTERED}`,
      { replacements: [eventId], type: QueryTypes.SELECT },
    );
    if (held.length) yield held.map((r) => ({ person: r.person, ticket: Number(r.ticket), decidedAt: ms(r.decided_at)! }));
  }

  /**
   * The generation of the event's Redis state (migrations/009-event-generations.ts): the number of the
   * newest state a restore built, 0 for one never restored. null: no such event.
   */
  async generation(eventId: string): Promise<number | null> {
    const [r] = await this.sequelize.query<{ g: string | number }>('SELECT redis_generation AS g FROM events WHERE id = ?', {
      replacements: [eventId],
      type: QueryTypes.SELECT,
    });
    return r ? Number(r.g) : null;
  }

  /**
   * The one write here: the generation of a state that went live, once finish-restore.lua wrote it
   * (never lowered). Written after, never before: MySQL's generation is then never above the live
   * state's, and a restore that takes it for a lost state's (Restorer) voids no decision of it. A
   * restore that dies between the two leaves it behind, which only keeps more below the next ends.
   */
  async recordGeneration(eventId: string, gen: number): Promise<void> {
    await this.sequelize.query('UPDATE events SET redis_generation = GREATEST(redis_generation, ?) WHERE id = ?', {
      replacements: [gen, eventId],
    });
  }

  /** The highest ticket MySQL knows for the event, won, released or dead-lettered (0: none). */
  async maxTicket(eventId: string): Promise<number> {
    const [r] = await this.sequelize.query<{ t: string | number | null }>(
      `SELECT GREATEST(COALESCE((SELECT MAX(ticket) FROM applications WHERE event_id = ?), 0),
                       COALESCE((SELECT MAX(ticket) FROM dead_lettered_winners WHERE event_id = ?), 0)) AS t`,
      { replacements: [eventId, eventId], type: QueryTypes.SELECT },
    );
    return Number(r?.t ?? 0);
  }

  /** Which of `persons` are the event's winners: a WON row, or dead-lettered after a 202 (asked in pieces: the list may be long). */
  async wonAmong(eventId: string, persons: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < persons.length; i += 5_000) {
      const piece = persons.slice(i, i + 5_000);
      const rows = await this.sequelize.query<{ person: string }>(
        `SELECT person FROM applications WHERE event_id = ? AND status = 'WON' AND person IN (?)
         UNION SELECT person FROM dead_lettered_winners WHERE event_id = ? AND person IN (?)`,
        { replacements: [eventId, piece, eventId, piece], type: QueryTypes.SELECT },
      );
      for (const r of rows) found.add(r.person);
    }
    return found;
  }

  /** How many of the event's reservations were released (RELEASED rows). */
  async releasedCount(eventId: string): Promise<number> {
    const [r] = await this.sequelize.query<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status = 'RELEASED'",
      { replacements: [eventId], type: QueryTypes.SELECT },
    );
    return Number(r?.n ?? 0);
  }
}
