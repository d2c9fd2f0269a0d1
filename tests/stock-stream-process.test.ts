import test from 'ava';
import { connect, type Socket } from 'node:net';
import { startSystem, newEvent, randomEmail, testLog, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { nextStock, openStream } from './support/sse.ts';
import { CONNECTING_HEADROOM, StockStreamServer, type StockStreamLimits } from '../server/stock-stream/process.ts';
import { readHead } from '../server/stock-stream/request-head.ts';
import { AppError } from '../core/platform/errors.ts';

let sys: System;
let streams: StockStreamServer;
let url: string;
const LIMITS: StockStreamLimits = { maxWatchers: 1_000, maxPerNetwork: 0, headersTimeoutMs: 1_000, maxHeaderSize: 8_192 };

test.before(async () => {
  sys = await startSystem({ consumer: false });
  streams = new StockStreamServer(sys.config, LIMITS, testLog());
  ({ url } = await streams.start(0));
});
test.after.always(async () => {
  await streams?.stop();
  await sys?.stop();
});

/** Sends raw bytes and reads the answer until the server closes the connection (or `ms`). */
function raw(bytes: string | Buffer, ms = 3_000): Promise<{ text: string; status: number; closed: boolean }> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0), closed });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      // A stream that opened: its head and first frame are all there is to read.
      if (/^HTTP\/1\.1 200 [^]*\r\n\r\n(retry|\{)/.test(text)) done(false);
    });
    socket.on('close', () => done(true));
    socket.on('error', () => {});
    socket.write(bytes);
  });
}

/** Waits until this process knows an event another process made (within 2 s: core/use-cases/operator/known-event-ids.ts). */
async function knownHere(eventId: string) {
  for (let i = 0; i < 30; i++) {
    const s = await openStream(`${url}/api/events/${eventId}/stream`);
    s.close();
    if (s.status !== 404) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };

test.serial(
  'the stock stream process pushes the same frames as the API: falling with each win, and sold out the moment it is',
  async (t) => {
    const eventId = await newEvent(sys, 3);
    await knownHere(eventId);
    const watchers = await Promise.all(Array.from({ length: 20 }, () => openStream(`${url}/api/events/${eventId}/stream`)));
    const fromApi = await openStream(`${sys.url}/api/events/${eventId}/stream`);
    t.teardown(() => [...watchers, fromApi].forEach((w) => w.close()));
    t.is(watchers[0]!.status, 200);
    t.is(watchers[0]!.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    t.is(watchers[0]!.headers.get('cache-control'), 'no-cache, no-transform');
    t.is(watchers[0]!.headers.get('x-content-type-options'), 'nosniff', 'the API security headers');
    const retry = await watchers[0]!.next(5_000);
    t.true(retry!.retry! >= 2_000 && retry!.retry! < 5_000, 'reconnects spread over 2-5 s');
    for (const w of [...watchers, fromApi]) t.deepEqual(await nextStock(w), { remaining: 3, total: 3, soldOut: false });
    t.is(streams.watchers, 20);
    for (let i = 0; i < 3; i++)
      t.is((await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail()) })).status, 202);
    for (const w of [...watchers, fromApi]) {
      let last;
      do last = await nextStock(w);
      while (last && !last.soldOut);
      t.deepEqual(last, { remaining: 0, total: 3, soldOut: true });
    }
    for (const w of watchers) w.close();
    for (let i = 0; i < 50 && streams.watchers > 0; i++) await new Promise((r) => setTimeout(r, 50));
    t.is(streams.watchers, 0, 'a closed stream is let go');
  },
);

test.serial("the default event's stream is on the original's path, answered as the API answers it; HTTP/1.0 needs no Host", async (t) => {
  const [here, api] = await Promise.all([openStream(`${url}/api/event/stream`), openStream(`${sys.url}/api/event/stream`)]);
  t.teardown(() => [here, api].forEach((s) => s.close()));
  t.is(here.status, api.status);
  t.deepEqual(here.body, api.body);
  const eventId = await newEvent(sys, 1);
  await knownHere(eventId);
  const answer = await raw(`GET /api/events/${eventId}/stream HTTP/1.0\r\n\r\n`);
  t.is(answer.status, 200);
  t.regex(answer.text, /\r\n\r\nretry: \d+\n\n/);
});

test.serial('a draft or an unknown event is 404 as on the API, a malformed id 400; nothing is held for them', async (t) => {
  const draft = await newEvent(sys, 1, false);
  for (const id of [draft, 'no-such-event']) {
    const [here, api] = await Promise.all([openStream(`${url}/api/events/${id}/stream`), openStream(`${sys.url}/api/events/${id}/stream`)]);
    t.is(here.status, 404);
    t.deepEqual(here.body, api.body, 'the same answer as the API');
  }
  const [here, api] = await Promise.all([
    openStream(`${url}/api/events/NOT_AN_ID/stream`),
    openStream(`${sys.url}/api/events/NOT_AN_ID/stream`),
  ]);
  t.is(here.status, 400);
  t.deepEqual(here.body, api.body);
  t.is(streams.watchers, 0);
});

/** Every kind of head the process refuses, with its status and code: in the one error shape, the connection closed. */
const REFUSED: [string, string, number, string][] = [
  ['another method', 'POST /api/events/e1/stream HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'METHOD_NOT_ALLOWED'],
  ['HEAD', 'HEAD /api/events/e1/stream HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'METHOD_NOT_ALLOWED'],
  ['another path', 'GET /api/events/e1/apply HTTP/1.1\r\nHost: x\r\n\r\n', 404, 'NOT_FOUND'],
  ['a trailing slash', 'GET /api/events/e1/stream/ HTTP/1.1\r\nHost: x\r\n\r\n', 404, 'NOT_FOUND'],
  ['the path in upper case', 'GET /API/EVENTS/e1/STREAM HTTP/1.1\r\nHost: x\r\n\r\n', 404, 'NOT_FOUND'],
  ['an admin path', 'GET /api/admin/events HTTP/1.1\r\nHost: x\r\n\r\n', 404, 'NOT_FOUND'],
  ['an absolute target', 'GET http://x/api/events/e1/stream HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'BAD_REQUEST'],
  ['a malformed escape in the id', 'GET /api/events/%E0%A4%A/stream HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'VALIDATION_FAILED'],
  ['an id in upper case', 'GET /api/events/E1/stream HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'VALIDATION_FAILED'],
  ['no Host in HTTP/1.1', 'GET /api/events/e1/stream HTTP/1.1\r\n\r\n', 400, 'HOST_MISSING'],
  ['two Hosts', 'GET /api/events/e1/stream HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n', 400, 'BAD_REQUEST'],
  ['a body by length', 'GET /api/events/e1/stream HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', 400, 'BAD_REQUEST'],
  ['a chunked body', 'GET /api/events/e1/stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'BAD_REQUEST'],
  ['a header without a colon', 'GET /api/events/e1/stream HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n', 400, 'BAD_REQUEST'],
  ['a space before the colon', 'GET /api/events/e1/stream HTTP/1.1\r\nHost : x\r\n\r\n', 400, 'BAD_REQUEST'],
  ['a folded header', 'GET /api/events/e1/stream HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n', 400, 'BAD_REQUEST'],
  ['a bare LF in a header', 'GET /api/events/e1/stream HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n', 400, 'BAD_REQUEST'],
  ['a NUL in a header', 'GET /api/events/e1/stream HTTP/1.1\r\nHost: x\r\nX-A: b\0c\r\n\r\n', 400, 'BAD_REQUEST'],
  ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400, 'BAD_REQUEST'],
  ['HTTP/0.9', 'GET /api/events/e1/stream\r\n\r\n', 400, 'BAD_REQUEST'],
  ['a lower-case method', 'get /api/events/e1/stream HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'METHOD_NOT_ALLOWED'],
  [
    'headers past the limit',
    `GET /api/events/e1/stream HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9_000)}\r\n\r\n`,
    431,
    'HEADERS_TOO_LARGE',
  ],
  ['headers that never end', `GET /api/events/e1/stream HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9_000)}`, 431, 'HEADERS_TOO_LARGE'],
  ['a head that never ends, slowly', 'GET /api/events/e1/stream HTTP/1.1\r\nHost: x\r\n', 408, 'REQUEST_TIMEOUT'],
  ['TLS to a plain port', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 408, 'REQUEST_TIMEOUT'],
];

for (const [what, bytes, status, code] of REFUSED) {
  test.serial(`refused: ${what} (${status} ${code}), in the one error shape, and nothing held`, async (t) => {
    const answer = await raw(bytes);
    t.true(answer.closed, 'the connection is closed after the answer');
    t.is(answer.status, status, answer.text);
    t.is(bodyOf(answer.text).error.code, code);
    t.regex(answer.text, /\r\nContent-Type: application\/json; charset=utf-8\r\n/);
    if (status === 405) t.regex(answer.text, /\r\nAllow: GET\r\n/);
    t.is(streams.watchers, 0);
  });
}

test.serial('a field line that makes a backtracking pattern work for seconds is refused at once: the process keeps serving', async (t) => {
  // A tab, 3,000 spaces and a DEL took the field pattern 8 s of backtracking (cubic), every stream of
  // the process frozen meanwhile; 8,000 took minutes. Through nginx (which drops the leading tab) it was
  // quadratic: 0.14 s of one core for each 8 KB request.
  const started = performance.now();
  const answer = await raw(`GET /api/events/e1/stream HTTP/1.1\r\nHost: x\r\nX-A: \t${' '.repeat(3_000)}\x7f\r\n\r\n`, 10_000);
  const ms = performance.now() - started;
  t.is(answer.status, 400);
  t.is(bodyOf(answer.text).error.code, 'BAD_REQUEST');
  t.true(ms < 500, `answered in ${Math.round(ms)} ms`);
  t.deepEqual(
    readHead(Buffer.from('GET /api/events/e1/stream HTTP/1.1\r\nHost: \t x \t\r\nContent-Length:  0 ')),
    { stream: 'e1' },
    'spaces and tabs around a value',
  );
});

test.serial(
  'past its watchers the process answers 503 STREAMS_FULL with Retry-After; past its per-network cap it closes the connection',
  async (t) => {
    const eventId = await newEvent(sys, 5);
    const small = new StockStreamServer(sys.config, { ...LIMITS, maxWatchers: 2, maxPerNetwork: 3 }, testLog());
    const { url: at } = await small.start(0);
    t.teardown(() => small.stop());
    const two = await Promise.all([1, 2].map(() => openStream(`${at}/api/events/${eventId}/stream`)));
    t.teardown(() => two.forEach((s) => s.close()));
    t.deepEqual(
      two.map((s) => s.status),
      [200, 200],
    );
    const third = await openStream(`${at}/api/events/${eventId}/stream`);
    t.is(third.status, 503);
    t.is(third.body.error.code, 'STREAMS_FULL');
    t.is(third.headers.get('retry-after'), '30');
    t.is(small.watchers, 2);
    // Three connections from 127.0.0.1 now (two streams and one held open): the fourth is closed unanswered.
    const held = connect(Number(new URL(at).port), '127.0.0.1');
    t.teardown(() => held.destroy());
    await new Promise((r) => held.once('connect', r));
    await new Promise((r) => setTimeout(r, 100));
    const fourth = await new Promise<string>((resolve) => {
      const s = connect(Number(new URL(at).port), '127.0.0.1');
      let text = '';
      s.on('data', (d) => (text += d));
      s.on('error', () => {});
      s.on('close', () => resolve(text));
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    t.is(fourth, '', 'closed before a byte is read');
  },
);

test.serial(
  'connections on their way to a stream are bounded too: past the watchers and their headroom, a new one is closed at once',
  async (t) => {
    const small = new StockStreamServer(sys.config, { ...LIMITS, maxWatchers: 1, headersTimeoutMs: 30_000 }, testLog());
    const { url: at } = await small.start(0);
    const port = Number(new URL(at).port);
    const held = await Promise.all(
      Array.from(
        { length: 1 + CONNECTING_HEADROOM },
        () =>
          new Promise<Socket>((resolve) => {
            const s = connect(port, '127.0.0.1', () => resolve(s));
            s.on('error', () => {});
          }),
      ),
    );
    t.teardown(() => {
      held.forEach((s) => s.destroy());
      return small.stop();
    });
    await new Promise((r) => setTimeout(r, 200));
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 2_000);
    });
    t.true(closed, 'the connection past the cap was closed');
    t.true(held.every((s) => !s.destroyed));
  },
);

test.serial('stop() ends every stream, and the process takes no more connections', async (t) => {
  const eventId = await newEvent(sys, 5);
  const one = new StockStreamServer(sys.config, LIMITS, testLog());
  const { url: at } = await one.start(0);
  const s = await openStream(`${at}/api/events/${eventId}/stream`);
  t.deepEqual(await nextStock(s), { remaining: 5, total: 5, soldOut: false });
  await one.stop();
  t.is(await nextStock(s), null, 'the stream ended');
  await t.throwsAsync(fetch(`${at}/healthz`));
});

/**
 * Heads made from a valid one by the changes a hostile client makes (bytes flipped, dropped,
 * doubled; a character of the grammar's edges put in): each one is answered in the one error shape
 * with one of the statuses above, or streamed only when the reader accepts it; the process serves
 * a valid stream after all of them.
 */
test.serial('fuzz: every head is streamed only if it is valid, else refused in the one error shape; the process lives on', async (t) => {
  const eventId = await newEvent(sys, 2);
  await knownHere(eventId);
  const valid = `GET /api/events/${eventId}/stream?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n`;
  const edges = ['\r', '\n', '\0', ' ', '\t', ':', '/', '%', '?', '\x7f', '\xff', 'A', '..', '%2F', '\r\n', '\r\n\r\n'];
  let seed = 20261207;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const statuses = new Map<number, number>();
  for (let i = 0; i < 200; i++) {
    let head = valid;
    for (let k = 0, n = 1 + random(3); k < n; k++) {
      const at = random(head.length);
      const op = random(4);
      if (op === 0) head = head.slice(0, at) + head.slice(at + 1);
      else if (op === 1) head = head.slice(0, at) + edges[random(edges.length)] + head.slice(at);
      else if (op === 2) head = head.slice(0, at) + head.slice(at, at + 5) + head.slice(at);
      else head = head.slice(0, at) + String.fromCharCode(random(256)) + head.slice(at + 1);
    }
    const bytes = Buffer.from(`${head}\r\n`, 'latin1');
    const answer = await raw(bytes, 1_500);
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    // What the process reads is the head up to its first blank line.
    const end = bytes.indexOf('\r\n\r\n');
    let wanted: ReturnType<typeof readHead> | undefined;
    try {
      if (end >= 0) wanted = readHead(bytes.subarray(0, end));
    } catch (e) {
      t.true(e instanceof AppError);
    }
    const streamed = answer.status === 200 && /\r\nContent-Type: text\/event-stream/.test(answer.text);
    if (wanted && 'stream' in wanted && wanted.stream === eventId) t.true(streamed, `${answer.status} for ${JSON.stringify(head)}`);
    if (streamed) t.true(wanted !== undefined && !('health' in wanted), JSON.stringify(head));
    else {
      t.true([200, 400, 404, 405, 408, 431].includes(answer.status), `${answer.status} for ${JSON.stringify(head)}`);
      t.truthy(
        answer.status === 200 ? JSON.parse(answer.text.split('\r\n\r\n')[1]!).status : bodyOf(answer.text).error.code,
        JSON.stringify(head),
      );
    }
  }
  t.log(Object.fromEntries(statuses));
  for (let i = 0; i < 50 && streams.watchers > 0; i++) await new Promise((r) => setTimeout(r, 50));
  t.is(streams.watchers, 0);
  const s = await openStream(`${url}/api/events/${eventId}/stream`);
  t.teardown(() => s.close());
  t.deepEqual(await nextStock(s), { remaining: 2, total: 2, soldOut: false });
});
