/**
 * A JSON answer's header list for `res.writeHead` (a flat list: name, value, ...), as Koa would have
 * sent it: the security headers, the answer's own (Retry-After), its type and length, and X-Request-Id
 * last. An answer made once for many requests leaves the id '' and sets it in place per request
 * (writeHead copies the list).
 */
export const jsonHead = (security: string[], headers: Record<string, string> | undefined, body: string, requestId = ''): string[] => [
  ...security,
  ...(headers ? Object.entries(headers).flat() : []),
  'Content-Type',
  'application/json; charset=utf-8',
  'Content-Length',
  String(Buffer.byteLength(body)),
  'X-Request-Id',
  requestId,
];
