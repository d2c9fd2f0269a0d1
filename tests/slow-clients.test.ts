import test from 'ava';
import { connect } from 'node:net';
import { request } from 'node:http';
import { startSystem, newEvent, randomEmail, type System } from './support/system.ts';
import { openStores } from '../core/stores.ts';

// Short settings, so that the test takes seconds; production's defaults are 10 s, 30 s and 5 s.
const HEADERS_MS = 1_000;
const REQUEST_MS = 2_000;
const KEEP_ALIVE_MS = 1_000;
// Node looks for late connections once a second, and keeps an idle one a second past its keep-alive
// (keepAliveTimeoutBuffer); the rest is a busy machine's scheduling.
const GRACE_MS = 2_000;

let sys: System;
test.before(async () => {
  sys = await startSystem({
    consumer: false,
    env: {
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
    },
  });
});
test.after.always(async () => {
  await sys?.stop();
});

interface Connection {
  write(s: string): void;
  received(): string;
  closedAfter: Promise<number>;
}

/** A raw connection to the API: what it received, and how long after it opened the server closed it. */
function open(): Promise<Connection> {
  const { hostname, port } = new URL(sys.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      const opened = performance.now();
      resolve({
        write: (s) => {
          if (socket.writable) socket.write(s);
        },
        received: () => received,
        closedAfter: new Promise((done) => socket.once('close', () => done(performance.now() - opened))),
      });
    });
  });
}

/** Writes `piece` every 200 ms while the connection lasts: a client that is slow on purpose. */
function trickle(c: Connection, piece: string) {
  const timer = setInterval(() => c.write(piece), 200);
  void c.closedAfter.then(() => clearInterval(timer));
}

const timedOut = (answer: string) => answer.startsWith('HTTP/1.1 408') && answer.includes('"code":"REQUEST_TIMEOUT"');

test('a client that never finishes its headers is answered 408 and cut off within the headers timeout', async (t) => {
  const c = await open();
  c.write('GET /api/event HTTP/1.1\r\nHost: terning\r\n');
  trickle(c, 'X-Slow: a\r\n');
  const after = await c.closedAfter;
  t.true(after < HEADERS_MS + GRACE_MS, `closed after ${Math.round(after)} ms`);
  t.true(timedOut(c.received()), c.received());
});

test('a connection that never sends a byte is closed within the headers timeout', async (t) => {
  const c = await open();
  const after = await c.closedAfter;
  t.true(after < HEADERS_MS + GRACE_MS, `closed after ${Math.round(after)} ms`);
});

test('an idle keep-alive connection is closed within the keep-alive timeout', async (t) => {
  const c = await open();
  c.write('GET /healthz HTTP/1.1\r\nHost: terning\r\n\r\n');
  while (!c.received().includes('"status":"ok"')) await new Promise((r) => setTimeout(r, 10));
  const answered = performance.now();
  await c.closedAfter;
  const idle = performance.now() - answered;
  t.true(idle >= KEEP_ALIVE_MS - 100, `closed ${Math.round(idle)} ms after its answer: no keep-alive at all`);
  t.true(idle < KEEP_ALIVE_MS + GRACE_MS, `closed ${Math.round(idle)} ms after its answer`);
  t.regex(c.received(), /Keep-Alive: timeout=1/);
});

test('a body that trickles in is answered 408 and cut off within the request timeout', async (t) => {
  const c = await open();
  c.write(
    'POST /api/auth/send-verification-code HTTP/1.1\r\nHost: terning\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{',
  );
  trickle(c, ' ');
  const after = await c.closedAfter;
  t.true(after < REQUEST_MS + GRACE_MS, `closed after ${Math.round(after)} ms`);
  t.true(timedOut(c.received()), c.received());
});

test('a participant at a normal pace is answered, and a result stream outlives every timeout', async (t) => {
  const eventId = await newEvent(sys, 5);
  // A win whose hand-off to Kafka is unconfirmed: its stream stays open, PENDING, with no consumer running.
  const email = randomEmail('held');
  const stores = openStores(sys.config);
  t.teardown(() => stores.close());
  await stores.scripts.applyMany(eventId, [email], Date.now());
  const token = await sys.tokens.issue(email);

  const frames: string[] = [];
  const ended = new Promise<string>((resolve) => {
    const req = request(`${sys.url}/api/events/${eventId}/status/stream?access_token=${encodeURIComponent(token)}`, (res) => {
      t.is(res.statusCode, 200);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => frames.push(chunk));
      res.on('close', () => resolve('closed'));
    });
    req.on('error', () => resolve('error'));
    req.end();
    t.teardown(() => req.destroy());
    setTimeout(() => resolve('open'), REQUEST_MS + KEEP_ALIVE_MS + GRACE_MS);
  });
  t.is(await ended, 'open', 'the stream was still open past the request, headers and keep-alive timeouts');
  t.regex(frames.join(''), /"status":"PENDING"/);
});
