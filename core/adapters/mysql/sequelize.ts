import { Sequelize } from 'sequelize';
import { format, type SqlValue } from 'mysql2';

/**
 * mysql2 scans every statement's whole text for placeholders, even when it has no values to put in
 * them, and Sequelize sends none (it inlines its replacements): a consumer's chunk of 2,000 winners is
 * about 300 KB of SQL, and that scan was 15% of the consumer's CPU. A statement with values is formatted
 * as mysql2 would (the winners' export stream passes some).
 */
function queryFormat(sql: string, values: SqlValue | SqlValue[], timezone?: string): string {
  return values === undefined || values === null || (Array.isArray(values) && values.length === 0)
    ? sql
    : format(sql, values, false, timezone);
}

/** One connection pool per process. Times are stored in UTC with millisecond precision. */
export function createSequelize(url: string, opts: { pool?: number } = {}): Sequelize {
  return new Sequelize(url, {
    dialect: 'mysql',
    logging: false,
    timezone: '+00:00',
    pool: { max: opts.pool ?? 10, min: 0, idle: 10_000, acquire: 15_000 },
    dialectOptions: { dateStrings: false, connectTimeout: 5_000, queryFormat },
    define: { underscored: true, timestamps: true, createdAt: 'created_at', updatedAt: 'updated_at' },
  });
}

/** Creates the database named in the URL when it is missing (a fresh machine has only `test`). */
export async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`MYSQL_URL names an unusable database: "${name}"`);
  u.pathname = '/';
  const admin = new Sequelize(u.toString(), { dialect: 'mysql', logging: false });
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.close();
  }
}
