import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../core/adapters/mysql/migrator.ts';

/** One row per decided applicant of an event: the record support exports winners from. */
export async function up({ context: q }: { context: MigrationContext }) {
  await q.createTable(
    'applications',
    {
      id: { type: DataTypes.BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
      event_id: { type: DataTypes.STRING(64), allowNull: false },
      email: { type: DataTypes.STRING(254), allowNull: false },
      ticket: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      status: { type: DataTypes.STRING(8), allowNull: false },
      applied_at: { type: DataTypes.DATE(3), allowNull: true },
      decided_at: { type: DataTypes.DATE(3), allowNull: false },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await q.addIndex('applications', ['event_id', 'email'], { unique: true, name: 'applications_event_email' });
  await q.addIndex('applications', ['event_id', 'status', 'ticket'], { name: 'applications_event_status_ticket' });
}

export async function down({ context: q }: { context: MigrationContext }) {
  await q.dropTable('applications');
}
