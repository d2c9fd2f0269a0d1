import { QueryTypes, type Sequelize } from 'sequelize';
import { sqlTime } from './sql-time.ts';

export type AuditAction = 'event.create' | 'stock.set' | 'event.open' | 'event.close' | 'dlq.replay';

/** One change that took effect: who made it, when, to what, and what it was before. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: AuditAction;
  eventId: string | null;
  from: unknown;
  to: unknown;
  requestId: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at?: Date };

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
const unjson = (s: string | null) => (s === null ? null : JSON.parse(s));

/** The audit trail in MySQL (admin_audit): appended by the server, read by `terning audit`. */
export class AuditLog {
  constructor(private readonly sequelize: Sequelize) {}

  async record(e: NewAuditEntry): Promise<void> {
    await this.sequelize.query(
      'INSERT INTO admin_audit (at, actor, action, event_id, from_value, to_value, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
      {
        replacements: [
          sqlTime(e.at ?? Date.now()),
          e.actor,
          e.action,
          e.eventId,
          json(e.from),
          json(e.to),
          e.requestId?.slice(0, 128) ?? null,
        ],
      },
    );
  }

  /** The newest first. */
  async list(opts: { eventId?: string; limit: number }): Promise<AuditEntry[]> {
    const rows = await this.sequelize.query<{
      id: string | number;
      at: Date;
      actor: string;
      action: AuditAction;
      event_id: string | null;
      from_value: string | null;
      to_value: string | null;
      request_id: string | null;
    }>(
      `SELECT id, at, actor, action, event_id, from_value, to_value, request_id FROM admin_audit
       ${opts.eventId ? 'WHERE event_id = ?' : ''} ORDER BY id DESC LIMIT ?`,
      { replacements: [...(opts.eventId ? [opts.eventId] : []), opts.limit], type: QueryTypes.SELECT },
    );
    return rows.map((r) => ({
      id: Number(r.id),
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      action: r.action,
      eventId: r.event_id,
      from: unjson(r.from_value),
      to: unjson(r.to_value),
      requestId: r.request_id,
    }));
  }
}
