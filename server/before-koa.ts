import { STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** An answer written straight to the connection, in the one error shape; then the connection ends. */
function refuse(socket: Duplex, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code, message } });
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}

/**
 * What Node answers itself, before the app sees a request, in the one error shape too: a request its
 * parser refuses (a method it doesn't know, a malformed line or header: 400; headers too large: 431),
 * one that took too long to arrive (408), and CONNECT, which reaches no app (405).
 */
export function answerBeforeKoa(http: Server): void {
  http.on('clientError', (err: NodeJS.ErrnoException, socket: Socket & { _httpMessage?: ServerResponse }) => {
    // Node's own rule: once an answer has begun on this connection, or the client is gone, nothing more is said.
    if (!socket.writable || socket._httpMessage?.headersSent) return socket.destroy();
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return refuse(socket, 408, 'REQUEST_TIMEOUT', 'the request took too long to arrive');
    if (err.code === 'HPE_HEADER_OVERFLOW') return refuse(socket, 431, 'HEADERS_TOO_LARGE', 'the request headers are too large');
    refuse(socket, 400, 'BAD_REQUEST', 'the request is not HTTP/1.1 that this server reads');
  });
  http.on('connect', (_req, socket: Duplex) => refuse(socket, 405, 'METHOD_NOT_ALLOWED', 'CONNECT is not served here'));
}
