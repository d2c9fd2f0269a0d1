import { DataTypes } from 'sequelize';
import type { MigrationContext } from '../core/adapters/mysql/migrator.ts';

/**
 * The public logs (docs/proof-of-place.md).
 * proof_decisions: every decision by ticket, written with the row that persists it (a winner) or gives
 * it back (released), and never deleted: the applications row of a released unit gives way when the
 * person wins later, and the log must still explain that ticket.
 * proof_logs: how far each event's log has come (its size, the next ticket, the last audit entry read).
 * proof_log_entries: the leaves, append-only: the canonical entry and its RFC 6962 leaf hash.
 */
export async function up({ context: q }: { context: MigrationContext }) {
  // seq: the order rows arrived in, so a log builder finds the events with something new cheaply.
  await q.sequelize.query(`CREATE TABLE proof_decisions (
    event_id VARCHAR(64) NOT NULL,
    ticket BIGINT UNSIGNED NOT NULL,
    kind VARCHAR(16) NOT NULL,
    person VARCHAR(254) NOT NULL,
    decided_at DATETIME(3) NOT NULL,
    seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    PRIMARY KEY (event_id, ticket),
    UNIQUE KEY proof_decisions_seq (seq)
  ) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci`);
  await q.sequelize.query(
    `INSERT IGNORE INTO proof_decisions (event_id, ticket, kind, person, decided_at)
     SELECT event_id, ticket, IF(status = 'WON', 'won', 'released'), person, decided_at FROM applications WHERE status IN ('WON', 'RELEASED')`,
  );
  await q.createTable(
    'proof_logs',
    {
      event_id: { type: DataTypes.STRING(64), primaryKey: true },
      size: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      next_ticket: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      audit_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await q.createTable(
    'proof_log_entries',
    {
      event_id: { type: DataTypes.STRING(64), primaryKey: true },
      idx: { type: DataTypes.BIGINT.UNSIGNED, primaryKey: true },
      ticket: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
      leaf: { type: DataTypes.TEXT, allowNull: false },
      hash: { type: DataTypes.BLOB, allowNull: false },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await q.addIndex('proof_log_entries', ['event_id', 'ticket'], { unique: true, name: 'proof_log_entries_ticket' });
}

export async function down({ context: q }: { context: MigrationContext }) {
  await q.dropTable('proof_log_entries');
  await q.dropTable('proof_logs');
  await q.dropTable('proof_decisions');
}
