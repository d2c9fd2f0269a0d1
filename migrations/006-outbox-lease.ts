import type { MigrationContext } from '../core/adapters/mysql/migrator.ts';

/**
 * A sender reads back the emails it just leased by their lease (lock_owner): without an index that was
 * a scan of the whole outbox on every claim, every email ever queued, sent ones included.
 */
export async function up({ context: q }: { context: MigrationContext }) {
  await q.addIndex('email_outbox', ['lock_owner'], { name: 'email_outbox_lease' });
}

export async function down({ context: q }: { context: MigrationContext }) {
  await q.removeIndex('email_outbox', 'email_outbox_lease');
}
