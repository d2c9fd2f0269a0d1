import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small fetch wrapper: JSON in, JSON out, the status kept. */
export async function http<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string; token?: string; adminKey?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
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
  } catch {
    /* not JSON: keep the text so the assertion shows it */
  }
  return { status: res.status, body, headers: res.headers };
}

export interface RawAnswer {
  status: number;
  text: string;
  headers: IncomingHttpHeaders;
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

/**
 * A request whose method and path go out exactly as given: fetch resolves dot segments, turns
 * backslashes into slashes and refuses TRACE and CONNECT. A connection the server closes without
 * an answer is status 0.
 */
export function rawHttp(
  base: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    let answered = false;
    const read = (status: number | undefined, headers: IncomingHttpHeaders, body: Readable, first = '') => {
      answered = true;
      let text = first;
      body.setEncoding('utf8');
      body.on('data', (chunk: string) => {
        text += chunk;
      });
      body.on('end', () => resolve({ status: status ?? 0, text, headers }));
      body.on('close', () => resolve({ status: status ?? 0, text, headers }));
      body.on('error', () => resolve({ status: status ?? 0, text, headers }));
    };
    // Node frames no body of OPTIONS, DELETE, ... unless told its length: the server would read it as the next request.
    const headers = opts.body === undefined ? opts.headers : { ...opts.headers, 'Content-Length': String(Buffer.byteLength(opts.body)) };
    const req = request({ agent, host: hostname, port, method, path, headers }, (res) => {
      // A result stream that opened lasts until a decision: its status and headers are the answer.
      if (res.headers['content-type']?.startsWith('text/event-stream')) {
        answered = true;
        res.destroy();
        return resolve({ status: res.statusCode ?? 0, text: '', headers: res.headers });
      }
      read(res.statusCode, res.headers, res);
    });
    // An answer to CONNECT comes as a tunnel: its body is what the server writes before it closes.
    req.on('connect', (res, socket, head) => read(res.statusCode, res.headers, socket, head.toString()));
    req.on('error', () => resolve({ status: 0, text: '', headers: {} }));
    req.on('close', () => answered || resolve({ status: 0, text: '', headers: {} }));
    req.end(opts.body);
  });
}
