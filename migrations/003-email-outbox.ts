import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../core/adapters/mysql/migrator.ts';

/** Emails to send, filled in the same transaction as the decision and drained at SES's pace. */
export async function up({ context: q }: { context: MigrationContext }) {
  await q.createTable(
    'email_outbox',
    {
      id: { type: DataTypes.BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
      event_id: { type: DataTypes.STRING(64), allowNull: false },
      email: { type: DataTypes.STRING(254), allowNull: false },
      kind: { type: DataTypes.STRING(32), allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'queued' },
      attempts: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false, defaultValue: 0 },
      next_attempt_at: { type: DataTypes.DATE(3), allowNull: false },
      locked_until: { type: DataTypes.DATE(3), allowNull: true },
      lock_owner: { type: DataTypes.STRING(64), allowNull: true },
      last_error: { type: DataTypes.STRING(1000), allowNull: true },
      message_id: { type: DataTypes.STRING(255), allowNull: true },
      sent_at: { type: DataTypes.DATE(3), allowNull: true },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await q.addIndex('email_outbox', ['event_id', 'email', 'kind'], { unique: true, name: 'email_outbox_event_email_kind' });
  await q.addIndex('email_outbox', ['status', 'next_attempt_at'], { name: 'email_outbox_due' });
}

export async function down({ context: q }: { context: MigrationContext }) {
  await q.dropTable('email_outbox');
}
