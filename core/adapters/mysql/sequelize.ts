import { Sequelize } from 'sequelize';

/** One connection pool per process. Times are stored in UTC with millisecond precision. */
export function createSequelize(url: string, opts: { pool?: number } = {}): Sequelize {
  return new Sequelize(url, {
    dialect: 'mysql',
    logging: false,
    timezone: '+00:00',
    pool: { max: opts.pool ?? 10, min: 0, idle: 10_000, acquire: 15_000 },
    dialectOptions: { dateStrings: false, connectTimeout: 5_000 },
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
