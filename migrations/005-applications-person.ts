import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../core/adapters/mysql/migrator.ts';

/**
 * One person is one applicant (core/use-cases/participant/identity.ts): rows are keyed by the person, and keep the address
 * the person typed, where their mail goes. Rows from before are their own person.
 */
export async function up({ context: q }: { context: MigrationContext }) {
  await q.addColumn('applications', 'person', { type: DataTypes.STRING(254), allowNull: true });
  await q.sequelize.query('UPDATE applications SET person = email');
  await q.changeColumn('applications', 'person', { type: DataTypes.STRING(254), allowNull: false });
  await q.addIndex('applications', ['event_id', 'person'], { unique: true, name: 'applications_event_person' });
  await q.removeIndex('applications', 'applications_event_email');
  await q.addIndex('applications', ['event_id', 'email'], { name: 'applications_event_email' });
}

export async function down({ context: q }: { context: MigrationContext }) {
  await q.removeIndex('applications', 'applications_event_email');
  await q.addIndex('applications', ['event_id', 'email'], { unique: true, name: 'applications_event_email' });
  await q.removeIndex('applications', 'applications_event_person');
  await q.removeColumn('applications', 'person');
}
