import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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

/** An answer in the one error shape on the request's own response, and the connection closed after it. */
function answerWith(status: number, code: string, message: string): (res: ServerResponse) => void {
  const body = JSON.stringify({ error: { code, message } });
  const head = [
    'Content-Type',
    'application/json; charset=utf-8',
    'Content-Length',
    String(Buffer.byteLength(body)),
    'Connection',
    'close',
  ];
  return (res) => {
    res.shouldKeepAlive = false;
    res.writeHead(status, head);
    res.end(body);
  };
}

const hostMissing = answerWith(400, 'HOST_MISSING', 'an HTTP/1.1 request needs a Host header');
const expectationFailed = answerWith(417, 'EXPECTATION_FAILED', 'the only expectation this server meets is 100-continue');

/**
 * What Node would answer itself with an empty body, answered here in the one error shape: an HTTP/1.1
 * request without Host (Node's requireHostHeader, turned off for this). True when it was answered.
 */
export function refusedBeforeKoa(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers.host !== undefined || req.httpVersionMinor !== 1 || req.httpVersionMajor !== 1) return false;
  hostMissing(res);
  return true;
}

/**
 * What Node answers itself, before the app sees a request, in the one error shape too: a request its
 * parser refuses (a method it doesn't know, a malformed line or header: 400; headers too large: 431),
 * one that took too long to arrive (408), an Expect other than 100-continue (417), and CONNECT, which
 * reaches no app (405). Without Host: refusedBeforeKoa.
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
  http.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => expectationFailed(res));
}
