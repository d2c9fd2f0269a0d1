import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Decision } from '../../domain/decision.ts';
import { sqlTime } from './sql-time.ts';
import { valuesOf } from './sql-values.ts';

/**
 * A person's row in an event, as the domain's Decision (decidedAt in milliseconds) with the row's
 * status: WON, or RELEASED (a reservation Kafka never took, given back by the sweeper; a late record
 * with that ticket is void). LOST rows are from before decisions were made at arrival.
 */
export type ApplicationRecord = Omit<Decision, 'requestId'> & { status: 'WON' | 'LOST' | 'RELEASED' };

const placeholders = (rows: number, cols: number) => Array.from({ length: rows }, () => `(${Array(cols).fill('?').join(',')})`).join(',');

export class ApplicationsRepo {
  constructor(private readonly sequelize: Sequelize) {}

  /**
   * Stores a batch of winners and queues their emails in one transaction. A row that is already there
   * (a retry, a redelivered record, a second API's resend) is left as it is; a RELEASED row for another
   * ticket gives way to the win (the person applied again after their reservation was given back). The
   * rows are read back under lock after the insert, not before it: the sweeper may record an earlier
   * ticket's release in between, and it must not take the unique key from a win.
   */
  async storeWinners(winners: Decision[]): Promise<void> {
    if (winners.length === 0) return;
    const now = sqlTime(Date.now());
    await this.sequelize.transaction(async (transaction) => {
      const [, inserted] = await this.sequelize.query(
        `INSERT INTO applications (event_id, person, email, ticket, status, applied_at, decided_at, created_at)
         VALUES ${valuesOf(
           winners.map((w) => {
             const at = sqlTime(w.decidedAt);
             return [w.eventId, w.person, w.email, w.ticket, 'WON', at, at, now];
           }),
         )}
         ON DUPLICATE KEY UPDATE id = id`,
        { transaction, type: QueryTypes.INSERT },
      );
      // Every row new (a row left as it was counts 0, not 1: Sequelize connects without FOUND_ROWS): each
      // is this winner's, as written, and locked by the insert. Else they are read back to see which.
      const { won, decided } =
        inserted === winners.length
          ? { won: winners.map((w) => ({ eventId: w.eventId, email: w.email })), decided: winners }
          : await this.giveWay(winners, transaction);
      if (won.length === 0) return;
      await this.logDecisions(decided, transaction);
      // A winner's email is queued once (the outbox's key): a redelivered win queues nothing new.
      await this.sequelize.query(
        `INSERT INTO email_outbox (event_id, email, kind, status, attempts, next_attempt_at, created_at)
         VALUES ${valuesOf(won.map((w) => [w.eventId, w.email, 'winner', 'queued', 0, now, now]))}
         ON DUPLICATE KEY UPDATE id = id`,
        { transaction, type: QueryTypes.INSERT },
      );
    });
  }

  /**
   * Which winners are won by this chunk, with the address each row holds, when some rows were there
   * already: a row of the same ticket is theirs (a retry, a redelivery; the mail goes to the address
   * the row holds, so a resend typed with another alias of the person queues nothing new), a RELEASED
   * row of another ticket gives way to the win, and any other row keeps its place.
   */
  private async giveWay(
    winners: Decision[],
    transaction: Transaction,
  ): Promise<{ won: { eventId: string; email: string }[]; decided: Decision[] }> {
    const rows = await this.locked(winners, transaction);
    const won: { eventId: string; email: string }[] = [];
    const decided: Decision[] = [];
    for (const w of winners) {
      const row = rows.get(`${w.eventId}\n${w.person}`);
      if (!row || Number(row.ticket) === w.ticket) {
        if (row?.status === 'WON') {
          won.push({ eventId: w.eventId, email: row.email });
          decided.push(w);
        }
        continue;
      }
      if (row.status !== 'RELEASED') continue;
      await this.sequelize.query(
        "UPDATE applications SET email = ?, ticket = ?, status = 'WON', applied_at = ?, decided_at = ? WHERE id = ?",
        { transaction, replacements: [w.email, w.ticket, sqlTime(w.decidedAt), sqlTime(w.decidedAt), row.id] },
      );
      won.push(w);
      decided.push(w);
    }
    return { won, decided };
  }

  /**
   * The public log's source (migrations/008-proof-log.ts), in the transaction that persists the
   * winners: kept when the row of a released unit gives way, or a dead-lettered winner is replayed.
   */
  private async logDecisions(winners: Decision[], transaction: Transaction): Promise<void> {
    await this.sequelize.query(
      `INSERT IGNORE INTO proof_decisions (event_id, ticket, kind, person, decided_at)
       VALUES ${valuesOf(winners.map((w) => [w.eventId, w.ticket, 'won', w.person, sqlTime(w.decidedAt)]))}`,
      { transaction, type: QueryTypes.INSERT },
    );
  }

  /** These persons' rows as they are now, locked until the transaction ends, by `${eventId}\n${person}`: one indexed read per event. */
  private async locked(apps: Decision[], transaction: Transaction) {
    const byEvent = new Map<string, string[]>();
    for (const a of apps) {
      const list = byEvent.get(a.eventId);
      if (list) list.push(a.person);
      else byEvent.set(a.eventId, [a.person]);
    }
    const out = new Map<string, { id: number; email: string; ticket: number | string; status: ApplicationRecord['status'] }>();
    for (const [eventId, persons] of byEvent) {
      const rows = await this.sequelize.query<{
        id: number;
        person: string;
        email: string;
        ticket: number | string;
        status: ApplicationRecord['status'];
      }>('SELECT id, person, email, ticket, status FROM applications WHERE event_id = ? AND person IN (?) FOR UPDATE', {
        transaction,
        type: QueryTypes.SELECT,
        replacements: [eventId, persons],
      });
      for (const r of rows) out.set(`${eventId}\n${r.person}`, r);
    }
    return out;
  }

  /**
   * Winners whose rows MySQL keeps refusing, on their way to the dead-letter topic: they were told 202,
   * so they are kept here, and their emails queued, before the consumer group commits past them. They
   * count as winners (the export, a restore: mysql-state.ts, winners-table.ts) until a replay persists
   * them (storeWinners).
   */
  async holdDeadLettered(winners: { application: Decision; error: string }[]): Promise<void> {
    if (winners.length === 0) return;
    const now = sqlTime(Date.now());
    await this.sequelize.transaction(async (transaction) => {
      await this.sequelize.query(
        `INSERT INTO dead_lettered_winners (event_id, person, email, ticket, decided_at, error, created_at)
         VALUES ${placeholders(winners.length, 7)}
         ON DUPLICATE KEY UPDATE id = id`,
        {
          transaction,
          replacements: winners.flatMap(({ application: w, error }) => [
            w.eventId,
            w.person,
            w.email,
            w.ticket,
            sqlTime(w.decidedAt),
            error.slice(0, 2_000),
            now,
          ]),
        },
      );
      // Told 202: a winner in the public log too, whether or not a replay persists the row later.
      await this.logDecisions(
        winners.map((x) => x.application),
        transaction,
      );
      await this.sequelize.query(
        `INSERT INTO email_outbox (event_id, email, kind, status, attempts, next_attempt_at, created_at)
         VALUES ${placeholders(winners.length, 7)}
         ON DUPLICATE KEY UPDATE id = id`,
        { transaction, replacements: winners.flatMap(({ application: w }) => [w.eventId, w.email, 'winner', 'queued', 0, now, now]) },
      );
    });
  }

  /** Which of `persons` the event holds as dead-lettered winners, with their tickets. */
  async deadLettered(eventId: string, persons: string[]): Promise<Map<string, number>> {
    const rows =
      persons.length === 0
        ? []
        : await this.sequelize.query<{ person: string; ticket: string | number }>(
            'SELECT person, ticket FROM dead_lettered_winners WHERE event_id = ? AND person IN (?)',
            { replacements: [eventId, persons], type: QueryTypes.SELECT },
          );
    return new Map(rows.map((r) => [r.person, Number(r.ticket)]));
  }

  /** A reservation the sweeper gave back: recorded unless the person's row exists (a win persisted meanwhile). */
  async markReleased(eventId: string, person: string, ticket: number, reservedAt: number): Promise<void> {
    await this.sequelize.transaction(async (transaction) => {
      await this.sequelize.query(
        `INSERT INTO applications (event_id, person, email, ticket, status, applied_at, decided_at, created_at)
         VALUES (?, ?, ?, ?, 'RELEASED', ?, ?, ?) ON DUPLICATE KEY UPDATE id = id`,
        { transaction, replacements: [eventId, person, person, ticket, sqlTime(reservedAt), sqlTime(reservedAt), sqlTime(Date.now())] },
      );
      await this.sequelize.query(
        "INSERT IGNORE INTO proof_decisions (event_id, ticket, kind, person, decided_at) VALUES (?, ?, 'released', ?, ?)",
        { transaction, replacements: [eventId, ticket, person, sqlTime(reservedAt)] },
      );
    });
  }

  /**
   * After a restore: every ticket up to `upTo` that no decision explains (one the lost Redis handed out
   * whose decision was void, or a reservation the restore dropped) is recorded as released, so that the
   * public log, which appends tickets only as a run with none missing, does not wait for it for ever.
   * A dead-lettered winner's ticket is left for its replay. Each is dated as the ticket before it (the
   * one after it when none is before), so that the log's times still increase. Returns how many.
   */
  async releaseUnexplained(eventId: string, upTo: number): Promise<number> {
    if (upTo < 1) return 0;
    const [known, held] = await Promise.all([
      this.sequelize.query<{ ticket: string | number; decided_at: Date }>(
        'SELECT ticket, decided_at FROM proof_decisions WHERE event_id = ? AND ticket <= ? ORDER BY ticket',
        { replacements: [eventId, upTo], type: QueryTypes.SELECT },
      ),
      this.sequelize.query<{ ticket: string | number }>('SELECT ticket FROM dead_lettered_winners WHERE event_id = ? AND ticket <= ?', {
        replacements: [eventId, upTo],
        type: QueryTypes.SELECT,
      }),
    ]);
    if (known.length === upTo) return 0;
    const at = new Map(known.map((r) => [Number(r.ticket), new Date(r.decided_at).getTime()]));
    const skip = new Set(held.map((r) => Number(r.ticket)));
    const missing: { ticket: number; at: number }[] = [];
    let before: number | undefined;
    const pending: number[] = [];
    for (let ticket = 1; ticket <= upTo; ticket++) {
      const dated = at.get(ticket);
      if (dated !== undefined) {
        // Tickets before the first decision take its time.
        for (const p of pending.splice(0)) missing.push({ ticket: p, at: dated });
        before = dated;
      } else if (!skip.has(ticket)) {
        if (before === undefined) pending.push(ticket);
        else missing.push({ ticket, at: before });
      }
    }
    for (const p of pending) missing.push({ ticket: p, at: Date.now() });
    for (let i = 0; i < missing.length; i += 2_000) {
      await this.sequelize.query(
        `INSERT IGNORE INTO proof_decisions (event_id, ticket, kind, person, decided_at)
         VALUES ${valuesOf(missing.slice(i, i + 2_000).map((m) => [eventId, m.ticket, 'released', '', sqlTime(m.at)]))}`,
        { type: QueryTypes.INSERT },
      );
    }
    return missing.length;
  }

  async find(eventId: string, person: string): Promise<ApplicationRecord | null> {
    const rows = await this.sequelize.query<{
      email: string;
      ticket: string | number;
      status: ApplicationRecord['status'];
      decided_at: Date;
    }>('SELECT email, ticket, status, decided_at FROM applications WHERE event_id = ? AND person = ?', {
      replacements: [eventId, person],
      type: QueryTypes.SELECT,
    });
    const r = rows[0];
    return r
      ? { eventId, person, email: r.email, ticket: Number(r.ticket), status: r.status, decidedAt: new Date(r.decided_at).getTime() }
      : null;
  }

  async countByStatus(eventId: string): Promise<{ won: number; released: number }> {
    const rows = await this.sequelize.query<{ status: string; n: string | number }>(
      'SELECT status, COUNT(*) AS n FROM applications WHERE event_id = ? GROUP BY status',
      { replacements: [eventId], type: QueryTypes.SELECT },
    );
    const get = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    return { won: get('WON'), released: get('RELEASED') };
  }
}
