import type { Standing } from '../../../core/domain/decision.ts';

/** The API as the page sees it: JSON in and out, every refusal as the one error shape. */
export interface ApiError {
  code: string;
  message: string;
  details?: { attemptsLeft?: number; retryAfterSeconds?: number };
}
export type Answer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; error: ApiError };

export interface EventInfo {
  id: string;
  name: string;
  state: 'draft' | 'scheduled' | 'open' | 'closed';
  opensAt: string | null;
  closesAt: string | null;
  soldOut: boolean;
  serverTime: string;
}

/**
 * What an apply or a status answer says: the domain's standing (core/domain/decision.ts: WON, or
 * PENDING while a win's hand-off is unconfirmed), or LOST from a server older than decide-at-arrival,
 * which the page reads as sold out.
 */
export type Heard = Standing | { status: 'LOST' };

const NETWORK: ApiError = { code: 'NETWORK', message: 'the server could not be reached' };

export async function call<T>(method: 'GET' | 'POST', path: string, opts: { body?: unknown; token?: string } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), cache: 'no-store' });
  } catch {
    return { ok: false, status: 0, error: NETWORK };
  }
  const json = await res.json().catch(() => undefined);
  if (res.ok) return { ok: true, status: res.status, body: json as T };
  const error = (json as { error?: ApiError } | undefined)?.error ?? { code: `HTTP_${res.status}`, message: res.statusText };
  const retryAfter = Number(res.headers.get('Retry-After'));
  if (retryAfter > 0 && error.details?.retryAfterSeconds === undefined) error.details = { ...error.details, retryAfterSeconds: retryAfter };
  return { ok: false, status: res.status, error };
}

/** The participant's calls for one event: the default one (/api/event) or ?event=<id>. */
export function eventApi(eventId: string | null) {
  const base = eventId ? `/api/events/${encodeURIComponent(eventId)}` : '/api/event';
  return {
    info: () => call<EventInfo>('GET', base),
    apply: (token: string) => call<Heard>('POST', `${base}/apply`, { token }),
    status: (token: string) => call<Heard>('GET', `${base}/status`, { token }),
    streamUrl: (token: string) => `${base}/status/stream?access_token=${encodeURIComponent(token)}`,
    /** The remaining stock, pushed (no token). */
    stockUrl: `${base}/stream`,
    /** The event's public log: the signed checkpoint's text. */
    checkpoint: async (): Promise<string | null> => {
      try {
        const res = await fetch(`${base}/log/checkpoint`, { cache: 'no-store' });
        return res.ok ? await res.text() : null;
      } catch {
        return null;
      }
    },
    base,
  };
}
export type EventApi = ReturnType<typeof eventApi>;

export const sendCode = (email: string) =>
  call<{ sent: true; challengeId: string; reference: string; expiresInSeconds: number; resendAfterSeconds: number }>(
    'POST',
    '/api/auth/send-verification-code',
    { body: { email } },
  );

/** challengeId: the one the send answered, so that the code is checked for this sign-in alone (docs/security.md). */
export const verifyCode = (email: string, code: string, challengeId: string | null) =>
  call<{ token: string; expiresInSeconds: number }>('POST', '/api/auth/verify-code', {
    body: challengeId ? { email, code, challengeId } : { email, code },
  });
