import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../core/adapters/mysql/migrator.ts';

/**
 * The generation of the event's newest Redis state rebuilt from MySQL (0: never restored): each
 * restore numbers the state it builds one above it, and every decision names the state that made it, so a restore can
 * tell a decision of the state it replaces from a straggler of an older one that nobody confirmed
 * (core/use-cases/persistence/persist.ts).
 */
export async function up({ context: q }: { context: MigrationContext }) {
  await q.addColumn('events', 'redis_generation', { type: DataTypes.INTEGER.UNSIGNED, allowNull: false, defaultValue: 0 });
}

export async function down({ context: q }: { context: MigrationContext }) {
  await q.removeColumn('events', 'redis_generation');
}
