import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { sqlTime } from './sql-time.ts';
import { valuesOf } from './sql-values.ts';

/** A decision as the log's source holds it (proof_decisions), by ticket. */
export interface StoredDecision {
  ticket: number;
  kind: 'won' | 'released';
  person: string;
  at: number;
}

/** An operator's change to an event, from the audit trail. */
export interface OperatorChange {
  id: number;
  action: string;
  at: number;
  from: unknown;
  to: unknown;
}

/** How far an event's log has come. */
export interface LogState {
  size: number;
  nextTicket: number;
  auditId: number;
}

export interface NewLeaf {
  leaf: Buffer;
  hash: Buffer;
  ticket: number | null;
}

/** What a log builder reads while it holds an event's log. */
export interface LogSource {
  decisions(fromTicket: number, limit: number): Promise<StoredDecision[]>;
  changes(afterAuditId: number, limit: number): Promise<OperatorChange[]>;
}

const ms = (d: Date | string) => new Date(d).getTime();
const unjson = (s: string | null) => (s === null ? null : JSON.parse(s));

/** The public logs in MySQL (migrations/008-proof-log.ts): appended under a row lock, read by anyone. */
export class ProofLogRepo {
  constructor(private readonly sequelize: Sequelize) {}

  /**
   * Live events (scheduled, open, or closed since `closedSince`) whose log has something to append: the
   * next ticket is persisted, or a change is newer than the log's last. One indexed look-up each.
   */
  async eventsToBuild(closedSince: Date): Promise<string[]> {
    const rows = await this.sequelize.query<{ id: string }>(
      `SELECT e.id FROM events e LEFT JOIN proof_logs l ON l.event_id = e.id
       WHERE (e.state IN ('scheduled', 'open') OR (e.state = 'closed' AND (e.closes_at IS NULL OR e.closes_at >= ?)))
         AND (EXISTS (SELECT 1 FROM proof_decisions d WHERE d.event_id = e.id AND d.ticket = COALESCE(l.next_ticket, 1))
           OR EXISTS (SELECT 1 FROM admin_audit a WHERE a.event_id = e.id AND a.id > COALESCE(l.audit_id, 0)))`,
      { replacements: [closedSince], type: QueryTypes.SELECT },
    );
    return rows.map((r) => r.id);
  }

  /** The newest decision's and change's marks. */
  async marksNow(): Promise<{ decision: number; audit: number }> {
    const [row] = await this.sequelize.query<{ decision: string | number | null; audit: string | number | null }>(
      'SELECT (SELECT MAX(seq) FROM proof_decisions) AS decision, (SELECT MAX(id) FROM admin_audit) AS audit',
      { type: QueryTypes.SELECT },
    );
    return { decision: Number(row?.decision ?? 0), audit: Number(row?.audit ?? 0) };
  }

  /** The events with a decision or an operator's change after these marks, and the marks now. */
  async touchedSince(marks: { decision: number; audit: number }): Promise<{ events: string[]; decision: number; audit: number }> {
    const [decisions, changes] = await Promise.all([
      this.sequelize.query<{ event_id: string; top: string | number }>(
        'SELECT event_id, MAX(seq) AS top FROM proof_decisions WHERE seq > ? GROUP BY event_id',
        { replacements: [marks.decision], type: QueryTypes.SELECT },
      ),
      this.sequelize.query<{ event_id: string; top: string | number }>(
        'SELECT event_id, MAX(id) AS top FROM admin_audit WHERE id > ? AND event_id IS NOT NULL GROUP BY event_id',
        { replacements: [marks.audit], type: QueryTypes.SELECT },
      ),
    ]);
    return {
      events: [...new Set([...decisions, ...changes].map((r) => r.event_id))],
      decision: Math.max(marks.decision, ...decisions.map((r) => Number(r.top))),
      audit: Math.max(marks.audit, ...changes.map((r) => Number(r.top))),
    };
  }

  /**
   * Runs `plan` holding the event's log (SELECT ... FOR UPDATE on its proof_logs row): of two builders
   * (two consumer processes), the second waits and then sees what the first appended. The leaves
   * `plan` returns are appended at the log's end, and its state saved, in the same transaction.
   */
  async append(
    eventId: string,
    plan: (state: LogState, source: LogSource) => Promise<{ leaves: NewLeaf[]; state: LogState }>,
  ): Promise<number> {
    return this.sequelize.transaction(async (transaction) => {
      await this.sequelize.query(
        'INSERT IGNORE INTO proof_logs (event_id, size, next_ticket, audit_id, updated_at) VALUES (?, 0, 1, 0, ?)',
        { transaction, replacements: [eventId, sqlTime(Date.now())] },
      );
      const [row] = await this.sequelize.query<{ size: string | number; next_ticket: string | number; audit_id: string | number }>(
        'SELECT size, next_ticket, audit_id FROM proof_logs WHERE event_id = ? FOR UPDATE',
        { transaction, replacements: [eventId], type: QueryTypes.SELECT },
      );
      const state = { size: Number(row!.size), nextTicket: Number(row!.next_ticket), auditId: Number(row!.audit_id) };
      const { leaves, state: next } = await plan(state, this.source(eventId, transaction));
      if (leaves.length === 0 && next.auditId === state.auditId) return 0;
      if (leaves.length) {
        await this.sequelize.query(
          `INSERT INTO proof_log_entries (event_id, idx, ticket, leaf, hash)
           VALUES ${valuesOf(leaves.map((l, i) => [eventId, state.size + i, l.ticket, l.leaf.toString('utf8'), l.hash]))}`,
          { transaction, type: QueryTypes.INSERT },
        );
      }
      await this.sequelize.query('UPDATE proof_logs SET size = ?, next_ticket = ?, audit_id = ?, updated_at = ? WHERE event_id = ?', {
        transaction,
        replacements: [next.size, next.nextTicket, next.auditId, sqlTime(Date.now()), eventId],
      });
      return leaves.length;
    });
  }

  private source(eventId: string, transaction: Transaction): LogSource {
    return {
      decisions: async (fromTicket, limit) => {
        const rows = await this.sequelize.query<{ ticket: string | number; kind: 'won' | 'released'; person: string; decided_at: Date }>(
          'SELECT ticket, kind, person, decided_at FROM proof_decisions WHERE event_id = ? AND ticket >= ? ORDER BY ticket LIMIT ?',
          { transaction, replacements: [eventId, fromTicket, limit], type: QueryTypes.SELECT },
        );
        return rows.map((r) => ({ ticket: Number(r.ticket), kind: r.kind, person: r.person, at: ms(r.decided_at) }));
      },
      changes: async (afterAuditId, limit) => {
        const rows = await this.sequelize.query<{
          id: string | number;
          action: string;
          at: Date;
          from_value: string | null;
          to_value: string | null;
        }>('SELECT id, action, at, from_value, to_value FROM admin_audit WHERE event_id = ? AND id > ? ORDER BY id LIMIT ?', {
          transaction,
          replacements: [eventId, afterAuditId, limit],
          type: QueryTypes.SELECT,
        });
        return rows.map((r) => ({ id: Number(r.id), action: r.action, at: ms(r.at), from: unjson(r.from_value), to: unjson(r.to_value) }));
      },
    };
  }

  async size(eventId: string): Promise<number> {
    const [row] = await this.sequelize.query<{ size: string | number }>('SELECT size FROM proof_logs WHERE event_id = ?', {
      replacements: [eventId],
      type: QueryTypes.SELECT,
    });
    return row ? Number(row.size) : 0;
  }

  /** The leaf hashes from index `from` up to `to` (excluded), in order. */
  async hashes(eventId: string, from: number, to: number): Promise<Buffer[]> {
    const rows = await this.sequelize.query<{ hash: Buffer }>(
      'SELECT hash FROM proof_log_entries WHERE event_id = ? AND idx >= ? AND idx < ? ORDER BY idx',
      { replacements: [eventId, from, to], type: QueryTypes.SELECT },
    );
    return rows.map((r) => Buffer.from(r.hash));
  }

  /** The leaves' canonical text from index `from` up to `to` (excluded). */
  async leaves(eventId: string, from: number, to: number): Promise<string[]> {
    const rows = await this.sequelize.query<{ leaf: string }>(
      'SELECT leaf FROM proof_log_entries WHERE event_id = ? AND idx >= ? AND idx < ? ORDER BY idx',
      { replacements: [eventId, from, to], type: QueryTypes.SELECT },
    );
    return rows.map((r) => r.leaf);
  }

  async indexOfTicket(eventId: string, ticket: number): Promise<number | null> {
    const [row] = await this.sequelize.query<{ idx: string | number }>(
      'SELECT idx FROM proof_log_entries WHERE event_id = ? AND ticket = ?',
      { replacements: [eventId, ticket], type: QueryTypes.SELECT },
    );
    return row ? Number(row.idx) : null;
  }
}
