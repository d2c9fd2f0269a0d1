import type { Attempt, FinalState, History } from './history.ts';
import type { LogReading } from './public-log.ts';

/**
 * The longest stretch a random schedule may refuse applies (503, resets, timeouts with no final answer
 * in between). Its faults overlap: a broker frozen 15 s while the Redis primary fails over and an
 * event is restored. Above it, the system stopped answering.
 */
export const REFUSED_BOUND_MS = 60_000;

/** Refusals closer than this are one stretch: the page retries within a second. */
const STRETCH_GAP_MS = 2_000;

export type Rule =
  | 'lost'
  | 'oversold'
  | 'won-after-sold-out'
  | 'sold-out-with-units-left'
  | 'held-by-nobody'
  | 'dead-letter-hides-winner'
  | 'duplicate'
  | 'unanswered'
  | 'refused-too-long'
  | 'crashed'
  | 'blind-watch'
  | 'stalled'
  | 'not-injected'
  | 'dead-letters-unread'
  | 'log';

export interface Violation {
  rule: Rule;
  detail: string;
}

const FINAL = new Set(['won', 'sold-out']);

/** The longest stretch of refused attempts, from the first one's send to the last one's answer. */
export function longestRefusal(attempts: Attempt[]): { from: number; to: number } | undefined {
  const refused = attempts.filter((a) => !FINAL.has(a.answer)).sort((x, y) => x.sent - y.sent);
  let best: { from: number; to: number } | undefined;
  let cur: { from: number; to: number } | undefined;
  for (const a of refused) {
    if (cur && a.sent <= cur.to + STRETCH_GAP_MS) cur.to = Math.max(cur.to, a.answered);
    else cur = { from: a.sent, to: a.answered };
    if (!best || cur.to - cur.from > best.to - best.from) best = { ...cur };
  }
  return best;
}

/**
 * Every promise, judged from what the crowd was told (and when) and the state left once everything
 * settled; an empty list when all held. The order is judged from the recorded times: a winner whose
 * request was sent after someone had been answered SOLD_OUT needs a unit that came back since (a
 * stock raised after that answer, or a unit someone was refused or left holding), never from the
 * tickets a restore rebuilt.
 */
export function judge(h: History, s: FinalState): Violation[] {
  const out: Violation[] = [];
  const v = (rule: Rule, detail: string) => out.push({ rule, detail });
  const byPerson = new Map(s.rows.map((r) => [r.person, r]));
  const winners = s.rows.filter((r) => r.status === 'WON');
  const wonRow = (person: string, ticket: number) => byPerson.get(person)?.status === 'WON' && byPerson.get(person)!.ticket === ticket;
  const inKafka = new Set(s.records.map((r) => `${r.person} ${r.ticket}`));

  // What each person was told: the tickets of their WON answers, and whether they got any final answer.
  const told = new Map<string, Set<number>>();
  const firstWin = new Map<string, Attempt>();
  for (const a of h.attempts) {
    if (a.answer !== 'won' || a.ticket === undefined) continue;
    told.set(a.person, (told.get(a.person) ?? new Set()).add(a.ticket));
    if (!firstWin.has(a.person) || firstWin.get(a.person)!.answered > a.answered) firstWin.set(a.person, a);
  }

  // A 202 (or a repeat's 200) is a persisted winner, with the ticket told, whose record Kafka holds.
  for (const [person, tickets] of told) {
    for (const t of tickets) {
      if (!wonRow(person, t)) v('lost', `${person} was told WON ticket ${t}; MySQL has ${JSON.stringify(byPerson.get(person) ?? null)}`);
      else if (!inKafka.has(`${person} ${t}`)) v('lost', `${person} was told WON ticket ${t}; the applications topic holds no such record`);
    }
    if (tickets.size > 1) v('duplicate', `${person} was told WON with tickets ${[...tickets].join(', ')}`);
  }
  const ticketOwners = new Map<number, Set<string>>();
  for (const [person, tickets] of told) for (const t of tickets) ticketOwners.set(t, (ticketOwners.get(t) ?? new Set()).add(person));
  for (const w of winners) ticketOwners.set(w.ticket, (ticketOwners.get(w.ticket) ?? new Set()).add(w.person));
  for (const [t, people] of ticketOwners) if (people.size > 1) v('duplicate', `ticket ${t} won by ${[...people].join(', ')}`);

  // Never more winners than units, by what was told and by what was stored.
  if (told.size > s.total) v('oversold', `${told.size} people told WON for ${s.total} units`);
  if (winners.length > s.total) v('oversold', `${winners.length} WON rows for ${s.total} units`);
  if (s.redis.remaining !== undefined && s.redis.remaining + winners.length > s.total)
    v('oversold', `Redis has ${s.redis.remaining} left beside ${winners.length} winners of ${s.total}`);

  // A unit is someone's or still on offer: none held by a decision nobody persisted, none lost.
  if (s.redis.remaining !== undefined && s.redis.remaining + winners.length < s.total)
    v(
      'held-by-nobody',
      `${s.total - winners.length - s.redis.remaining} of ${s.total} units are neither won (${winners.length}) nor left (${s.redis.remaining})`,
    );
  const redisOnly = [...s.redis.won].filter(([p, t]) => !wonRow(p, t));
  if (redisOnly.length)
    v(
      'held-by-nobody',
      `${redisOnly.length} decisions in Redis were never persisted (e.g. ${redisOnly[0]![0]} ticket ${redisOnly[0]![1]})`,
    );

  // Units that could have come back after a SOLD_OUT answered at `since`: a stock raised after it, and the
  // reservation of anyone who was refused, reset or left (released by the API, the sweeper or a restore).
  const unsettled = new Set(h.attempts.filter((a) => !FINAL.has(a.answer)).map((a) => a.person));
  for (const a of h.applicants) if (a.abandons) unsettled.add(a.person);
  const cameBack = (since: number) => {
    let total = h.stock;
    let raised = 0;
    for (const c of [...h.stockChanges].filter((x) => x.applied).sort((x, y) => x.answered - y.answered)) {
      if (c.answered >= since && c.total > total) raised += c.total - total;
      total = c.total;
    }
    return raised + unsettled.size;
  };
  const soldOut = h.attempts.filter((a) => a.answer === 'sold-out').sort((x, y) => x.answered - y.answered);
  if (soldOut.length) {
    const first = soldOut[0]!;
    const after = [...firstWin.values()].filter((w) => w.sent > first.answered);
    if (after.length > cameBack(first.answered))
      v(
        'won-after-sold-out',
        `${first.person} was told SOLD_OUT at +${first.answered - h.attempts[0]!.sent} ms; ${after.length} people who asked after that won (e.g. ${after[0]!.person}, ticket ${after[0]!.ticket}), while at most ${cameBack(first.answered)} units could have come back`,
      );
    const left = s.redis.remaining ?? 0;
    if (left > cameBack(first.answered))
      v(
        'sold-out-with-units-left',
        `${soldOut.length} told SOLD_OUT, yet ${left} units are left while at most ${cameBack(first.answered)} could have come back`,
      );
  }

  // A dead letter never hides a winner: whoever it decided a unit for and was told so, or whom Redis holds as decided, has the row.
  if (!s.deadLetters.ok) v('dead-letters-unread', `the dead-letter topic could not be read: ${s.deadLetters.error}`);
  else {
    const hidden = s.deadLetters.applications.filter(
      (a) =>
        a.eventId === h.eventId &&
        !wonRow(a.person, a.ticket) &&
        (told.get(a.person)?.has(a.ticket) || s.redis.won.get(a.person) === a.ticket),
    );
    if (hidden.length)
      v(
        'dead-letter-hides-winner',
        `${hidden.length} winners only in the dead letters (e.g. ${hidden[0]!.person} ticket ${hidden[0]!.ticket})`,
      );
  }

  // Every applicant who stayed got a final answer: won or sold out.
  const final = new Set(h.attempts.filter((a) => FINAL.has(a.answer)).map((a) => a.person));
  // Who left: a person who leaves at a dropped connection (abandons) and met one. Everyone else stayed,
  // those who would have left but never met a dropped connection included.
  const dropped = new Set(h.attempts.filter((a) => a.answer === 'reset' || a.answer === 'timeout').map((a) => a.person));
  const left = new Set(h.applicants.filter((a) => a.abandons && dropped.has(a.person)).map((a) => a.person));
  const stayed = new Set(h.applicants.map((a) => a.person).filter((p) => !left.has(p)));
  const unanswered = [...stayed].filter((p) => !final.has(p));
  if (unanswered.length) {
    const last = h.attempts.filter((a) => a.person === unanswered[0]).at(-1);
    v(
      'unanswered',
      `${unanswered.length} of ${stayed.size} applicants never got a final answer (e.g. ${unanswered[0]}, last ${last ? `${last.answer} ${last.status ?? ''} ${last.why ?? ''}` : 'never sent'})`,
    );
  }
  const refusal = longestRefusal(h.attempts);
  if (refusal && refusal.to - refusal.from > REFUSED_BOUND_MS)
    v(
      'refused-too-long',
      `applies refused for ${((refusal.to - refusal.from) / 1000).toFixed(1)} s, above the bound of ${REFUSED_BOUND_MS / 1000} s`,
    );

  // The run itself: nothing died on its own, every fault really happened, and the watch really watched.
  for (const c of h.crashes) v('crashed', `${c.process} (pid ${c.pid}) exited on its own (code ${c.code}, signal ${c.signal})`);
  for (const f of h.faults) if (!f.injected) v('not-injected', `${f.kind} on ${f.target}: ${f.evidence}`);
  if (h.watch.readings === 0) v('blind-watch', "the persistence watch never read the group's offsets");
  else if (h.watch.resumedMs === null) v('stalled', 'persistence had not resumed when the schedule ended');
  if (!h.settled) v('stalled', 'the event did not settle (a winner without a row, lag, a reservation or a restore left)');
  if (s.redis.whole === false) v('stalled', "the event's Redis state is not this server's: a promoted replica's copy, never restored");
  if (s.lag > 0 || s.redis.reserved.length || s.redis.restoring || s.redis.remaining === undefined) {
    v(
      'stalled',
      `left over: lag ${s.lag}, ${s.redis.reserved.length} reservations, restoring ${s.redis.restoring}, remaining ${s.redis.remaining ?? 'MISSING'}`,
    );
  }
  if (s.log) judgeLog(s.log, winners, v);
  return out;
}

/**
 * The public log (issue 22): it took in every decision MySQL holds (or waits, by design, for a
 * dead-lettered winner not replayed), `terning verify` finds nothing wrong in it, and its winners are
 * exactly MySQL's, ticket for ticket.
 */
function judgeLog(log: LogReading, winners: FinalState['rows'], v: (rule: Rule, detail: string) => void): void {
  if (log.unreadable) return v('log', `the public log could not be read from any API: ${log.unreadable}`);
  if (!log.caughtUp && !log.excused) v('log', `the public log stopped at ticket ${log.stoppedAt}: MySQL holds decisions past it`);
  for (const f of log.failed) v('log', `terning verify: ${f}`);
  const upTo = log.caughtUp ? Infinity : log.stoppedAt!;
  const rows = new Set(winners.map((r) => r.ticket).filter((t) => t < upTo));
  const inLog = new Set(log.won);
  const missing = [...rows].filter((t) => !inLog.has(t));
  const extra = [...inLog].filter((t) => !rows.has(t));
  if (missing.length) v('log', `winners in MySQL missing from the public log: tickets ${missing.slice(0, 10).join(', ')}`);
  if (extra.length) v('log', `won entries in the public log that MySQL has no winner for: tickets ${extra.slice(0, 10).join(', ')}`);
}
