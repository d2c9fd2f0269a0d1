import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '../core/domain/errors.ts';

export interface BurstOptions {
  /** The API processes' addresses; a request that fails goes to the next one. */
  urls: () => string[];
  eventId: string;
  people: { email: string; token: string }[];
  /** Arrivals are spread over this long. */
  spreadMs: number;
  /** A person keeps trying (503, 5xx, 429, a dropped connection) until this long after the start. */
  deadlineMs: number;
  /** These people leave at their first dropped connection (the page closed), without an answer. */
  abandons?: (index: number) => boolean;
}

export interface BurstResult {
  /** Told WON (202, or 200 for a repeat), with the ticket they were told. */
  won: Map<string, number>;
  soldOut: Set<string>;
  /** Never got an answer that settles it: gave up at the deadline, or left. */
  unanswered: Set<string>;
  /** Answers that were retried: status (or "network") -> count. */
  retried: Map<string, number>;
  /** Each apply answered 503: when it was sent and when the answer came (a refusal may have waited first). */
  refusals: { from: number; to: number }[];
}

/**
 * A burst of applicants as a browser page would send them: each person applies once, and tries again
 * after a 503 (Retry-After), another 5xx, a 429 or a dropped connection, on the next API process.
 */
export async function burst(o: BurstOptions): Promise<BurstResult> {
  const result: BurstResult = { won: new Map(), soldOut: new Set(), unanswered: new Set(), retried: new Map(), refusals: [] };
  const started = Date.now();
  let next = 0;
  const retried = (why: string) => result.retried.set(why, (result.retried.get(why) ?? 0) + 1);
  await Promise.all(
    o.people.map(async (p, i) => {
      await sleep(Math.floor((i / o.people.length) * o.spreadMs));
      while (Date.now() - started < o.deadlineMs) {
        const urls = o.urls();
        const url = urls[next++ % urls.length]!;
        let wait = 250;
        const sent = Date.now();
        try {
          const res = await fetch(`${url}/api/events/${encodeURIComponent(o.eventId)}/apply`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${p.token}` },
            signal: AbortSignal.timeout(30_000),
          });
          const body = (await res.json().catch(() => ({}))) as { status?: string; ticket?: number; error?: { code?: string } };
          if ((res.status === 202 || res.status === 200) && body.status === 'WON' && typeof body.ticket === 'number') {
            result.won.set(p.email, body.ticket);
            return;
          }
          if (res.status === 409 && body.error?.code === ErrorCode.SOLD_OUT) {
            result.soldOut.add(p.email);
            return;
          }
          if (res.status < 429 || (res.status > 429 && res.status < 500))
            throw new Error(`apply answered ${res.status} ${JSON.stringify(body)}`);
          retried(String(res.status));
          if (res.status === 503) result.refusals.push({ from: sent, to: Date.now() });
          wait = Math.min(1_000, Number(res.headers.get('retry-after') ?? 0) * 1_000 || 250);
        } catch (e) {
          if (e instanceof Error && e.message.startsWith('apply answered')) throw e;
          retried('network');
          if (o.abandons?.(i)) break;
        }
        await sleep(wait);
      }
      result.unanswered.add(p.email);
    }),
  );
  return result;
}
