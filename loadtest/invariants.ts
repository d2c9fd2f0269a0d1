import type { Pool } from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Invariants {
  rows: number;
  winners: number;
  losers: number;
  expectedWinners: number;
  duplicateEmails: number;
  duplicateTickets: number;
  /** Applicants answered 202 or 200 who have no final row in MySQL. */
  pending: number;
  /** Winners whose ticket was not among the `stock` smallest of the event: how far decisions departed from arrival. */
  winnersOutOfOrder: number;
  ok: boolean;
}

const count = async (pool: Pool, sql: string, args: unknown[]) => Number(((await pool.query(sql, args))[0] as { n: number }[])[0]!.n);

/** Waits until MySQL holds `expected` rows for the event (the decider writes after deciding). */
export async function waitForRows(pool: Pool, eventId: string, expected: number, timeoutMs: number): Promise<number | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await count(pool, 'SELECT COUNT(*) AS n FROM applications WHERE event_id = ?', [eventId])) >= expected) return Date.now();
    await sleep(20);
  }
  return undefined;
}

/** The promises of README, checked in MySQL: winners = min(stock, applicants), no duplicates, no one left PENDING. */
export async function checkInvariants(pool: Pool, eventId: string, stock: number, applicants: number): Promise<Invariants> {
  const q = (sql: string) => count(pool, sql, [eventId]);
  const rows = await q('SELECT COUNT(*) AS n FROM applications WHERE event_id = ?');
  const winners = await q("SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status = 'WON'");
  const losers = await q("SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status = 'LOST'");
  const duplicateEmails = rows - (await q('SELECT COUNT(DISTINCT email) AS n FROM applications WHERE event_id = ?'));
  const duplicateTickets = rows - (await q('SELECT COUNT(DISTINCT ticket) AS n FROM applications WHERE event_id = ?'));
  // Tickets may have gaps (a ticket is released when Kafka refuses the application), so arrival order
  // is the rank among the tickets MySQL holds, not the ticket number itself.
  const winnersOutOfOrder = await count(pool, `SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status = 'WON' AND ticket >
    (SELECT ticket FROM applications WHERE event_id = ? ORDER BY ticket LIMIT 1 OFFSET ?)`, [eventId, eventId, stock]);
  const expectedWinners = Math.min(stock, applicants);
  const pending = Math.max(0, applicants - winners - losers);
  return {
    rows, winners, losers, expectedWinners, duplicateEmails, duplicateTickets, pending, winnersOutOfOrder,
    ok: winners === expectedWinners && duplicateEmails === 0 && duplicateTickets === 0 && pending === 0,
  };
}
