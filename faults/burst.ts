import { setTimeout as sleep } from 'node:timers/promises';

export interface BurstOptions {
  /** The API processes' addresses; a request that fails goes to the next one. */
  urls: () => string[];
  eventId: string;
  people: { email: string; token: string }[];
  /** Arrivals are spread over this long. */
  spreadMs: number;
  /** A person keeps trying (503, 5xx, 429, a dropped connection) until this long after the start. */
  deadlineMs: number;
}

export interface BurstResult {
  /** Answered 202 PENDING, or 200 with a decision (their application was in already). */
  accepted: Set<string>;
  soldOut: Set<string>;
  /** Never got an answer that settles it before the deadline. */
  gaveUp: Set<string>;
  /** Answers that were retried: status (or "network") -> count. */
  retried: Map<string, number>;
}

/**
 * A burst of applicants as a browser page would send them: each person applies once, and tries again
 * after a 503 (Retry-After), another 5xx, a 429 or a dropped connection, on the next API process.
 */
export async function burst(o: BurstOptions): Promise<BurstResult> {
  const result: BurstResult = { accepted: new Set(), soldOut: new Set(), gaveUp: new Set(), retried: new Map() };
  const started = Date.now();
  let next = 0;
  const retried = (why: string) => result.retried.set(why, (result.retried.get(why) ?? 0) + 1);
  await Promise.all(o.people.map(async (p, i) => {
    await sleep(Math.floor((i / o.people.length) * o.spreadMs));
    while (Date.now() - started < o.deadlineMs) {
      const urls = o.urls();
      const url = urls[next++ % urls.length]!;
      let wait = 250;
      try {
        const res = await fetch(`${url}/api/events/${encodeURIComponent(o.eventId)}/apply`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${p.token}` },
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
        if (res.status === 202 || res.status === 200) {
          result.accepted.add(p.email);
          return;
        }
        if (res.status === 409 && body.error?.code === 'SOLD_OUT') {
          result.soldOut.add(p.email);
          return;
        }
        if (res.status < 429 || (res.status > 429 && res.status < 500)) throw new Error(`apply answered ${res.status} ${JSON.stringify(body)}`);
        retried(String(res.status));
        wait = Math.min(1_000, Number(res.headers.get('retry-after') ?? 0) * 1_000 || 250);
      } catch (e) {
        if (e instanceof Error && e.message.startsWith('apply answered')) throw e;
        retried('network');
      }
      await sleep(wait);
    }
    result.gaveUp.add(p.email);
  }));
  return result;
}
