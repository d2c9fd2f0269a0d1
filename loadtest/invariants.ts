import type { Pool } from 'mysql2/promise';
import type { JobResult } from './load/job.ts';

export interface Invariants {
  rows: number;
  winners: number;
  /** min(stock, applicants answered): how many must have won. */
  expectedWinners: number;
  /** Applies answered 202 WON: one per winner, and as many as there are winners. */
  answered202: number;
  duplicatePeople: number;
  duplicateTickets: number;
  /** Winners whose ticket is not among the first `winners` tickets the gate handed out (released ones set aside). */
  winnersOutOfOrder: number;
  /** 202s to applies written after another apply had been answered SOLD_OUT: a later arrival won. */
  wonAfterSoldOut: number;
  ok: boolean;
}

const count = async (pool: Pool, sql: string, args: unknown[]) => Number(((await pool.query(sql, args))[0] as { n: number }[])[0]!.n);

/** The answers of a load run as the invariants need them. */
export function answersOf(r: JobResult): { won: number; soldOut: number; wonAfterSoldOut: number } {
  let won = 0;
  let soldOut = 0;
  let firstSoldOutAt = Infinity;
  for (let i = 0; i < r.status.length; i++) {
    if (r.status[i] === 202) won++;
    if (r.status[i] === 409) {
      soldOut++;
      firstSoldOutAt = Math.min(firstSoldOutAt, r.end[i]!);
    }
  }
  let wonAfterSoldOut = 0;
  for (let i = 0; i < r.status.length; i++) if (r.status[i] === 202 && r.wroteAt[i]! > firstSoldOutAt) wonAfterSoldOut++;
  return { won, soldOut, wonAfterSoldOut };
}

/**
 * The promises of docs/promises.md, checked in MySQL: winners = min(stock, applicants) = the 202s, each person
 * and ticket once, and the winners hold the first tickets the gate handed out (those given back set
 * aside): the order of arrival, whatever API process or partition they went by. A later arrival that
 * won while an earlier one was refused shows in the answers (wonAfterSoldOut).
 */
export async function checkInvariants(
  pool: Pool,
  eventId: string,
  stock: number,
  answers: { won: number; soldOut: number; wonAfterSoldOut: number },
): Promise<Invariants> {
  const q = (sql: string) => count(pool, sql, [eventId]);
  const rows = await q('SELECT COUNT(*) AS n FROM applications WHERE event_id = ?');
  const winners = await q("SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status = 'WON'");
  const duplicatePeople = rows - (await q('SELECT COUNT(DISTINCT person) AS n FROM applications WHERE event_id = ?'));
  const duplicateTickets = rows - (await q('SELECT COUNT(DISTINCT ticket) AS n FROM applications WHERE event_id = ?'));
  // The last of the first `winners` tickets not given back: every winner's ticket is at most that.
  const released = (
    (await pool.query("SELECT ticket FROM applications WHERE event_id = ? AND status = 'RELEASED' ORDER BY ticket", [eventId]))[0] as {
      ticket: number;
    }[]
  ).map((r) => r.ticket);
  let last = winners;
  for (const t of released) if (t <= last) last++;
  const winnersOutOfOrder = await count(
    pool,
    "SELECT COUNT(*) AS n FROM applications WHERE event_id = ? AND status = 'WON' AND ticket > ?",
    [eventId, last],
  );
  const expectedWinners = Math.min(stock, answers.won + answers.soldOut);
  return {
    rows,
    winners,
    expectedWinners,
    answered202: answers.won,
    duplicatePeople,
    duplicateTickets,
    winnersOutOfOrder,
    wonAfterSoldOut: answers.wonAfterSoldOut,
    ok:
      winners === expectedWinners &&
      answers.won === expectedWinners &&
      duplicatePeople === 0 &&
      duplicateTickets === 0 &&
      winnersOutOfOrder === 0 &&
      answers.wonAfterSoldOut === 0,
  };
}
