import test from 'ava';
import { QueryTypes } from 'sequelize';
import { createSequelize, ensureDatabase } from '../core/adapters/mysql/sequelize.ts';
import { createMigrator } from '../core/adapters/mysql/migrator.ts';
import { loadConfig } from '../core/platform/config.ts';
import { rand } from './support/system.ts';

test('every migration goes up, down and up again on a fresh database', async (t) => {
  const url = new URL(loadConfig().mysqlUrl);
  const name = `terning_mig_${rand().replace(/-/g, '')}`;
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  const db = createSequelize(url.toString(), { pool: 1 });
  const tables = async () =>
    (
      await db.query<{ t: string }>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name', {
        replacements: [name],
        type: QueryTypes.SELECT,
      })
    )
      .map((r) => r.t)
      .filter((x) => x !== 'terning_migrations');
  try {
    const migrator = createMigrator(db);
    const up = await migrator.up();
    t.true(up.length >= 3);
    t.deepEqual(await tables(), [
      'admin_audit',
      'applications',
      'dead_lettered_winners',
      'dlq_replays',
      'email_outbox',
      'events',
      'proof_decisions',
      'proof_logs',
      'proof_log_entries',
    ]);
    await migrator.down({ to: 0 });
    t.deepEqual(await tables(), []);
    await migrator.up();
    t.deepEqual(await tables(), [
      'admin_audit',
      'applications',
      'dead_lettered_winners',
      'dlq_replays',
      'email_outbox',
      'events',
      'proof_decisions',
      'proof_logs',
      'proof_log_entries',
    ]);
  } finally {
    await db.query(`DROP DATABASE \`${name}\``);
    await db.close();
  }
});
