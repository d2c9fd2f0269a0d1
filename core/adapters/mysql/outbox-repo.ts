import { QueryTypes, type Sequelize } from 'sequelize';
import { randomUUID } from 'node:crypto';
import { sqlTime } from './sql-time.ts';

export interface OutboxItem {
  id: number;
  eventId: string;
  eventName: string;
  email: string;
  kind: string;
  attempts: number;
}
export interface OutboxCounts {
  queued: number;
  sent: number;
  failed: number;
}

export const MAX_EMAIL_ATTEMPTS = 10;

/**
 * A claim: the lease (owner, until), now, now and how many. Due first, then queued first: the order of
 * email_outbox_due (status, next_attempt_at, and InnoDB's id after them), so a claim reads the rows it
 * takes and no more. Ordered by id alone it was planned on the primary key, past every email sent, or
 * on the due index with a sort of every queued one.
 */
export const CLAIM_SQL = `UPDATE email_outbox SET lock_owner = ?, locked_until = ?
  WHERE status = 'queued' AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ?)
  ORDER BY next_attempt_at, id LIMIT ?`;

/** The email outbox: claimed in small leases so several senders never send the same row at once. */
export class OutboxRepo {
  constructor(private readonly sequelize: Sequelize) {}

  async claim(limit: number, leaseMs = 60_000): Promise<OutboxItem[]> {
    const lease = randomUUID();
    const now = sqlTime(Date.now());
    await this.sequelize.query(CLAIM_SQL, { replacements: [lease, sqlTime(Date.now() + leaseMs), now, now, limit] });
    const rows = await this.sequelize.query<{
      id: string | number;
      event_id: string;
      name: string | null;
      email: string;
      kind: string;
      attempts: number;
    }>(
      `SELECT o.id, o.event_id, e.name, o.email, o.kind, o.attempts
       FROM email_outbox o LEFT JOIN events e ON e.id = o.event_id
       WHERE o.lock_owner = ? AND o.status = 'queued' ORDER BY o.id`,
      { replacements: [lease], type: QueryTypes.SELECT },
    );
    return rows.map((r) => ({
      id: Number(r.id),
      eventId: r.event_id,
      eventName: r.name ?? r.event_id,
      email: r.email,
      kind: r.kind,
      attempts: r.attempts,
    }));
  }

  async markSent(id: number, messageId: string | undefined): Promise<void> {
    await this.sequelize.query(
      `UPDATE email_outbox SET status = 'sent', sent_at = ?, message_id = ?, locked_until = NULL, lock_owner = NULL WHERE id = ?`,
      { replacements: [sqlTime(Date.now()), messageId ?? null, id] },
    );
  }

  /** A failed send is tried again later, backing off; after MAX_EMAIL_ATTEMPTS it stays failed. */
  async markFailed(item: OutboxItem, error: string): Promise<void> {
    const attempts = item.attempts + 1;
    const delayMs = Math.min(600_000, 1_000 * 2 ** attempts);
    await this.sequelize.query(
      `UPDATE email_outbox SET attempts = ?, last_error = ?, next_attempt_at = ?, status = ?, locked_until = NULL, lock_owner = NULL WHERE id = ?`,
      {
        replacements: [
          attempts,
          error.slice(0, 1000),
          sqlTime(Date.now() + delayMs),
          attempts >= MAX_EMAIL_ATTEMPTS ? 'failed' : 'queued',
          item.id,
        ],
      },
    );
  }

  async counts(eventId?: string): Promise<OutboxCounts> {
    const rows = await this.sequelize.query<{ status: string; n: string | number }>(
      `SELECT status, COUNT(*) AS n FROM email_outbox ${eventId ? 'WHERE event_id = ?' : ''} GROUP BY status`,
      { replacements: eventId ? [eventId] : [], type: QueryTypes.SELECT },
    );
    const get = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    return { queued: get('queued'), sent: get('sent'), failed: get('failed') };
  }
}
