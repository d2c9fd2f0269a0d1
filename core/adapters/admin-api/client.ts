export interface AdminTarget {
  url: string;
  adminKey: string;
  /** Who is making the change (X-ADMIN-ACTOR), recorded in the audit trail. */
  actor?: string;
}

/** An event's admin path: /api/admin/events/<id>..., or /api/admin/event... for the default event. */
export const adminEventPath = (eventId: string | null | undefined, rest = ''): string =>
  eventId ? `/api/admin/events/${encodeURIComponent(eventId)}${rest}` : `/api/admin/event${rest}`;

/** The admin API said no (`refused`, with its error code) or did not answer (`unreachable`). */
export class AdminCallError extends Error {
  constructor(
    readonly kind: 'refused' | 'unreachable',
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The operator's changes go through the server's admin API, the one place that validates them. */
export async function adminCall<T>(
  target: AdminTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, target.url), {
      method,
      headers: {
        'X-ADMIN-KEY': target.adminKey,
        ...(target.actor ? { 'X-ADMIN-ACTOR': target.actor } : {}),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new AdminCallError(
      'unreachable',
      `the terning server at ${target.url} did not answer (${(e as Error).message}); start it with \`terning server\` or set --url`,
    );
  }
  const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) {
    const err = json?.error;
    throw new AdminCallError('refused', err ? `${err.message} (${err.code})` : `the server answered ${res.status}`, err?.code);
  }
  return json as T;
}
