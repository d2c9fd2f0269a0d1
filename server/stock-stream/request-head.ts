import { AppError, badRequest, notFound } from '../../core/platform/errors.ts';
import { ErrorCode } from '../../core/domain/errors.ts';
import { eventId } from '../../core/domain/rules.ts';
import { parse } from '../middleware/validate.ts';

/** What the stock stream process serves: an event's stock stream, the default event's, or its liveness. */
export type Wanted = { stream: string } | { defaultStream: true } | { health: true };

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\/[^\s]*) HTTP\/1\.([01])$/;
/**
 * A field line (RFC 9110 5.1, 5.5): a token, a colon, a value of visible characters, spaces and tabs.
 * The spaces around the value are cut by hand (ows): a pattern that does it backtracks for each way
 * to split a run of spaces, cubic in a line of spaces that ends in a byte it refuses.
 */
const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):([\t\x20-\x7e\x80-\xff]*)$/;
const STREAM = /^\/api\/events\/([^/]+)\/stream$/;

const refused = (code: string, message: string) => badRequest(code, message);

/**
 * Reads a request head (its bytes up to and without the blank line) the way the API's parser would
 * for the one kind of request this process serves: a GET with no body. Anything else is refused in the
 * one error shape, never guessed at: a malformed line (400 BAD_REQUEST), HTTP/1.1 without exactly one
 * Host (400 HOST_MISSING), a body (400 BAD_REQUEST: a stream takes none), another method (405), another
 * path (404 NOT_FOUND), a malformed event id (400 VALIDATION_FAILED). Paths are matched as the API's
 * routers match them: case and trailing slash count; the query is ignored.
 */
export function readHead(head: Buffer): Wanted {
  const lines = head.toString('latin1').split('\r\n');
  if (lines.some((l) => /[\r\n\0]/.test(l))) throw refused('BAD_REQUEST', 'the request is not HTTP/1.1 that this server reads');
  const line = REQUEST_LINE.exec(lines[0] ?? '');
  if (!line) throw refused('BAD_REQUEST', 'the request is not HTTP/1.1 that this server reads');
  const [, method, target, minor] = line as unknown as [string, string, string, string];
  let hosts = 0;
  for (const l of lines.slice(1)) {
    const field = FIELD.exec(l);
    if (!field) throw refused('BAD_REQUEST', 'the request is not HTTP/1.1 that this server reads');
    const name = field[1]!.toLowerCase();
    if (name === 'host') hosts++;
    else if (name === 'transfer-encoding' || (name === 'content-length' && ows(field[2]!) !== '0'))
      throw refused('BAD_REQUEST', 'a stream request has no body');
  }
  if (hosts > 1) throw refused('BAD_REQUEST', 'the request is not HTTP/1.1 that this server reads');
  if (hosts === 0 && minor === '1') throw refused('HOST_MISSING', 'an HTTP/1.1 request needs a Host header');

  const path = target.split('?', 1)[0]!;
  const wanted = whatOf(path);
  if (!wanted) throw notFound('NOT_FOUND', `no such endpoint: ${method} ${path}`);
  if (method !== 'GET') throw new AppError(405, 'METHOD_NOT_ALLOWED', `${path} takes GET, not ${method}`, undefined, { Allow: 'GET' });
  return wanted;
}

function whatOf(path: string): Wanted | undefined {
  if (path === '/healthz') return { health: true };
  if (path === '/api/event/stream') return { defaultStream: true };
  const m = STREAM.exec(path);
  if (!m) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(m[1]!);
  } catch {
    throw badRequest(ErrorCode.VALIDATION_FAILED, 'eventId: the event id is not a well-formed URL segment');
  }
  return { stream: parse(eventId, id) };
}

/** A field value without the spaces and tabs around it. */
function ows(value: string): string {
  let from = 0;
  let to = value.length;
  while (from < to && (value[from] === ' ' || value[from] === '\t')) from++;
  while (to > from && (value[to - 1] === ' ' || value[to - 1] === '\t')) to--;
  return value.slice(from, to);
}
