import { setTimeout as sleep } from 'node:timers/promises';
import type { Answer, Applicant, Attempt } from './history.ts';
import { ErrorCode } from '../core/domain/errors.ts';

export interface CrowdOptions {
  /** The API processes' addresses; a request that fails goes to the next one. */
  urls: string[];
  eventId: string;
  applicants: (Applicant & { token: string })[];
  /** Arrivals are spread over this long. */
  spreadMs: number;
  /** Nobody sends after this long from the start: whoever has no final answer by then never got one. */
  deadlineMs: number;
}

/**
 * A crowd as browser pages send it, every attempt recorded with when it was sent and answered: each
 * applicant applies once, and tries again after a 503 (Retry-After), another 5xx, a 429 or a dropped
 * connection, on the next API process; one who abandons leaves at the first dropped connection, and so
 * do the person's other applicants (their other tabs) from then on.
 */
export async function crowd(o: CrowdOptions): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  const started = Date.now();
  let next = 0;
  const gone = new Set<string>();
  await Promise.all(
    o.applicants.map(async (p, i) => {
      await sleep(Math.floor((i / o.applicants.length) * o.spreadMs));
      while (Date.now() - started < o.deadlineMs) {
        if (gone.has(p.person)) return;
        const url = o.urls[next++ % o.urls.length]!;
        const sent = Date.now();
        const a: Attempt = { person: p.person, email: p.email, sent, answered: sent, answer: 'other' };
        let wait = 250;
        try {
          const res = await fetch(`${url}/api/events/${encodeURIComponent(o.eventId)}/apply`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${p.token}` },
            signal: AbortSignal.timeout(20_000),
          });
          const body = (await res.json().catch(() => ({}))) as { status?: string; ticket?: number; error?: { code?: string } };
          a.status = res.status;
          a.answered = Date.now();
          a.why = body.error?.code;
          a.answer = answerOf(res.status, body);
          if (a.answer === 'won') a.ticket = body.ticket;
          if (a.answer === 'refused') wait = Math.min(1_000, Number(res.headers.get('retry-after') ?? 0) * 1_000 || 250);
        } catch (e) {
          a.answered = Date.now();
          a.answer = (e as Error).name === 'TimeoutError' ? 'timeout' : 'reset';
          a.why = String((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message);
        }
        attempts.push(a);
        if (a.answer === 'won' || a.answer === 'sold-out' || a.answer === 'other') return;
        if (a.answer !== 'refused' && p.abandons) {
          gone.add(p.person);
          return;
        }
        await sleep(wait);
      }
    }),
  );
  return attempts;
}

/** A final answer (won, sold out), one the page tries again after (refused), or one it can't act on (other). */
function answerOf(status: number, body: { status?: string; ticket?: number; error?: { code?: string } }): Answer {
  if ((status === 202 || status === 200) && body.status === 'WON' && typeof body.ticket === 'number') return 'won';
  if (status === 409 && body.error?.code === ErrorCode.SOLD_OUT) return 'sold-out';
  if (status === 429 || status >= 500) return 'refused';
  return 'other';
}
