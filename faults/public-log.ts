import { QueryTypes, type Sequelize } from 'sequelize';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpSource, SourceUnavailable } from '../core/adapters/public-log/sources.ts';
import { verify } from '../core/use-cases/proof/verify.ts';

/** What a schedule's event's public log showed once everything settled (judged in faults/judge.ts). */
export interface LogReading {
  /** Every decision MySQL holds for the log is in it; else the ticket it stopped at, and why that may be. */
  caughtUp: boolean;
  stoppedAt?: number;
  /** It stopped at a dead-lettered winner not replayed yet: the log waits for it by design. */
  excused?: boolean;
  /** The log's won entries' tickets. */
  won: number[];
  /** What `terning verify --event` found not to hold, read from an API as anyone would. */
  failed: string[];
  /** The log could not be read from any API (not a finding about the log). */
  unreadable?: string;
}

/**
 * Waits up to `timeoutMs` for the event's log to take in every decision MySQL holds (the consumers'
 * log builders append as they go), then reads it from the first API that answers and checks it as
 * `terning verify --event` does. A dead-lettered winner not replayed holds the log back by design: the
 * reading then says so, and the judge does not count it.
 */
export async function readPublicLog(sequelize: Sequelize, urls: string[], eventId: string, timeoutMs = 60_000): Promise<LogReading> {
  const until = Date.now() + timeoutMs;
  let behind: { next: number; top: number };
  for (;;) {
    behind = await progress(sequelize, eventId);
    if (behind.next > behind.top || Date.now() > until) break;
    await sleep(500);
  }
  const caughtUp = behind.next > behind.top;
  const stopped = caughtUp ? {} : { stoppedAt: behind.next, excused: await waitsForDeadLetter(sequelize, eventId, behind.next) };
  let unreadable = 'no API to read it from';
  for (const url of urls) {
    try {
      const source = httpSource(url);
      const { findings } = await verify(source, { eventId });
      const won = (await source.entries(eventId))
        .map((e) => JSON.parse(e) as { kind: string; ticket?: number })
        .filter((e) => e.kind === 'won')
        .map((e) => e.ticket!);
      return {
        caughtUp,
        ...stopped,
        won,
        failed: findings.filter((f) => !f.holds).map((f) => f.says),
      };
    } catch (e) {
      if (!(e instanceof SourceUnavailable) && !(e instanceof TypeError)) throw e;
      unreadable = (e as Error).message;
    }
  }
  return { caughtUp, ...stopped, won: [], failed: [], unreadable };
}

/** The log's next ticket, and the highest ticket of a decision MySQL holds for it. */
async function progress(sequelize: Sequelize, eventId: string): Promise<{ next: number; top: number }> {
  const [row] = await sequelize.query<{ next: number | string | null; top: number | string | null }>(
    `SELECT (SELECT next_ticket FROM proof_logs WHERE event_id = ?) AS next,
            (SELECT MAX(ticket) FROM proof_decisions WHERE event_id = ?) AS top`,
    { replacements: [eventId, eventId], type: QueryTypes.SELECT },
  );
  return { next: Number(row?.next ?? 1), top: Number(row?.top ?? 0) };
}

/** Whether the ticket the log stopped at is a dead-lettered winner not replayed yet. */
async function waitsForDeadLetter(sequelize: Sequelize, eventId: string, ticket: number): Promise<boolean> {
  const rows = await sequelize.query(
    `SELECT 1 FROM dead_lettered_winners d LEFT JOIN applications a ON a.event_id = d.event_id AND a.person = d.person
     WHERE d.event_id = ? AND d.ticket = ? AND a.id IS NULL`,
    { replacements: [eventId, ticket], type: QueryTypes.SELECT },
  );
  return rows.length > 0;
}
