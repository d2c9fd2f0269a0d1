import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../core/adapters/mysql/migrator.ts';

/**
 * Winners whose row MySQL refused while it answered, so their decisions went to the dead-letter topic:
 * they were told 202, so they count as winners (the export, the mail, a restore) until a replay
 * persists them in applications (core/adapters/mysql/applications-repo.ts holdDeadLettered).
 */
export async function up({ context: q }: { context: MigrationContext }) {
  await q.createTable(
    'dead_lettered_winners',
    {
      id: { type: DataTypes.BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
      event_id: { type: DataTypes.STRING(64), allowNull: false },
      person: { type: DataTypes.STRING(254), allowNull: false },
      email: { type: DataTypes.STRING(254), allowNull: false },
      ticket: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      decided_at: { type: DataTypes.DATE(3), allowNull: false },
      error: { type: DataTypes.TEXT, allowNull: false },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await q.addIndex('dead_lettered_winners', ['event_id', 'person'], { unique: true, name: 'dead_lettered_winners_event_person' });
}

export async function down({ context: q }: { context: MigrationContext }) {
  await q.dropTable('dead_lettered_winners');
}
