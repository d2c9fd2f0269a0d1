import { QueryTypes, type Sequelize } from 'sequelize';
import type { DecidedApplication } from '../redis/scripts.ts';
import { sqlTime } from './sql-time.ts';

export interface ApplicationRecord { eventId: string; email: string; ticket: number; status: 'WON' | 'LOST'; decidedAt: Date }

export interface DecisionToStore extends DecidedApplication { eventId: string; appliedAt: number }

const placeholders = (rows: number, cols: number) =>
  Array.from({ length: rows }, () => `(${Array(cols).fill('?').join(',')})`).join(',');

export class ApplicationsRepo {
  constructor(private readonly sequelize: Sequelize) {}

  /**
   * Stores a batch of decisions and queues the winners' emails in one transaction. A row that is
   * already there (a retry, a redelivered message) is left as it is: a decision never changes.
   */
  async storeDecisions(decisions: DecisionToStore[]): Promise<void> {
    if (decisions.length === 0) return;
    const now = sqlTime(Date.now());
    await this.sequelize.transaction(async (transaction) => {
      await this.sequelize.query(
        `INSERT INTO applications (event_id, email, ticket, status, applied_at, decided_at, created_at)
         VALUES ${placeholders(decisions.length, 7)}
         ON DUPLICATE KEY UPDATE id = id`,
        {
          transaction,
          replacements: decisions.flatMap((d) => [
            d.eventId, d.email, d.ticket, d.decision === 'W' ? 'WON' : 'LOST', sqlTime(d.appliedAt), sqlTime(d.decidedAt), now,
          ]),
        },
      );
      const winners = decisions.filter((d) => d.decision === 'W');
      if (winners.length === 0) return;
      await this.sequelize.query(
        `INSERT INTO email_outbox (event_id, email, kind, status, attempts, next_attempt_at, created_at)
         VALUES ${placeholders(winners.length, 7)}
         ON DUPLICATE KEY UPDATE id = id`,
        { transaction, replacements: winners.flatMap((w) => [w.eventId, w.email, 'winner', 'queued', 0, now, now]) },
      );
    });
  }

  async find(eventId: string, email: string): Promise<ApplicationRecord | null> {
    const rows = await this.sequelize.query<{ ticket: string | number; status: 'WON' | 'LOST'; decided_at: Date }>(
      'SELECT ticket, status, decided_at FROM applications WHERE event_id = ? AND email = ?',
      { replacements: [eventId, email], type: QueryTypes.SELECT },
    );
    const r = rows[0];
    return r ? { eventId, email, ticket: Number(r.ticket), status: r.status, decidedAt: new Date(r.decided_at) } : null;
  }

  async countByStatus(eventId: string): Promise<{ won: number; lost: number }> {
    const rows = await this.sequelize.query<{ status: string; n: string | number }>(
      'SELECT status, COUNT(*) AS n FROM applications WHERE event_id = ? GROUP BY status',
      { replacements: [eventId], type: QueryTypes.SELECT },
    );
    const get = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    return { won: get('WON'), lost: get('LOST') };
  }
}
