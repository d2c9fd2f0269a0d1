import { QueryTypes } from 'sequelize';
import type { Config } from '../../core/platform/config.ts';
import { createSequelize } from '../../core/adapters/mysql/sequelize.ts';

export interface Row {
  person: string;
  email: string;
  ticket: number;
  status: 'WON' | 'LOST' | 'RELEASED';
}

export async function applicationRows(config: Config, eventId: string): Promise<Row[]> {
  const db = createSequelize(config.mysqlUrl, { pool: 1 });
  try {
    const rows = await db.query<{ person: string; email: string; ticket: string | number; status: Row['status'] }>(
      'SELECT person, email, ticket, status FROM applications WHERE event_id = ? ORDER BY ticket',
      { replacements: [eventId], type: QueryTypes.SELECT },
    );
    return rows.map((r) => ({ ...r, ticket: Number(r.ticket) }));
  } finally {
    await db.close();
  }
}

export async function outboxRows(config: Config, eventId: string): Promise<{ email: string; status: string }[]> {
  const db = createSequelize(config.mysqlUrl, { pool: 1 });
  try {
    return await db.query('SELECT email, status FROM email_outbox WHERE event_id = ?', {
      replacements: [eventId],
      type: QueryTypes.SELECT,
    });
  } finally {
    await db.close();
  }
}
