import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../core/adapters/mysql/migrator.ts';

export async function up({ context: q }: { context: MigrationContext }) {
  await q.createTable(
    'events',
    {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      name: { type: DataTypes.STRING(200), allowNull: false },
      total_stock: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false, defaultValue: 0 },
      state: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'draft' },
      opens_at: { type: DataTypes.DATE(3), allowNull: true },
      closes_at: { type: DataTypes.DATE(3), allowNull: true },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
}

export async function down({ context: q }: { context: MigrationContext }) {
  await q.dropTable('events');
}
