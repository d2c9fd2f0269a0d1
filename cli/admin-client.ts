import { UserError, EXIT } from './errors.ts';

export interface AdminTarget {
  url: string;
  adminKey: string;
  /** Who is making the change (X-ADMIN-ACTOR), recorded in the audit trail. */
  actor?: string;
}

/** The operator's changes go through the server's admin API, the one place that validates them. */
export async function adminCall<T>(target: AdminTarget, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 10_000): Promise<T> {
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
    throw new UserError(`the terning server at ${target.url} did not answer (${(e as Error).message}); start it with \`terning server\` or set --url`, EXIT.unreachable);
  }
  const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) {
    const err = json?.error;
    throw new UserError(err ? `${err.message} (${err.code})` : `the server answered ${res.status}`, EXIT.rejected);
  }
  return json as T;
}
