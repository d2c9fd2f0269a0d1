export interface Answer<T = any> { status: number; body: T; headers: Headers }

/** A small fetch wrapper: JSON in, JSON out, the status kept. */
export async function http<T = any>(base: string, method: string, path: string, opts: { body?: unknown; raw?: string; token?: string; adminKey?: string; headers?: Record<string, string> } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['Content-Type'] ??= 'application/json';
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.adminKey) headers['X-ADMIN-KEY'] = opts.adminKey;
  const res = await fetch(new URL(path, base), {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch { /* not JSON: keep the text so the assertion shows it */ }
  return { status: res.status, body, headers: res.headers };
}
