import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../core/adapters/mysql/migrator.ts';

/**
 * admin_audit: every operator change that took effect (who, when, what, from what to what).
 * dlq_replays: which dead letters were produced back to the applications topic, so none goes twice.
 */
export async function up({ context: q }: { context: MigrationContext }) {
  await q.createTable(
    'admin_audit',
    {
      id: { type: DataTypes.BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
      at: { type: DataTypes.DATE(3), allowNull: false },
      actor: { type: DataTypes.STRING(64), allowNull: false },
      action: { type: DataTypes.STRING(32), allowNull: false },
      event_id: { type: DataTypes.STRING(64), allowNull: true },
      from_value: { type: DataTypes.TEXT, allowNull: true },
      to_value: { type: DataTypes.TEXT, allowNull: true },
      request_id: { type: DataTypes.STRING(128), allowNull: true },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await q.addIndex('admin_audit', ['event_id', 'id'], { name: 'admin_audit_event' });
  await q.createTable(
    'dlq_replays',
    {
      topic: { type: DataTypes.STRING(249), primaryKey: true },
      dead_letter_id: { type: DataTypes.STRING(64), primaryKey: true },
      event_id: { type: DataTypes.STRING(64), allowNull: true },
      actor: { type: DataTypes.STRING(64), allowNull: false },
      replayed_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
}

export async function down({ context: q }: { context: MigrationContext }) {
  await q.dropTable('dlq_replays');
  await q.dropTable('admin_audit');
}
