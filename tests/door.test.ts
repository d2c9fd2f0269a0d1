import test from 'ava';
import { testConfig, createTopics, randomEmail, randomEventId } from './support/system.ts';
import { envFor, spawnServer } from './support/processes.ts';
import { http } from './support/http.ts';
import { rawClients, rawGet, type RawClient } from './support/raw-clients.ts';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';

// The attacks of issue 21 against a real `terning server` process, started as production starts it
// (bin/terning.js: the API's heap capped at 144 MB of old space), while participants keep applying.

/** Production's: long enough for the test's calls on a busy machine while the attack holds on. */
const WRITE_STALL_MS = 10_000;
/** The door looks once a second; the rest is a busy machine's scheduling. */
const GRACE_MS = 5_000;

async function serverWith(env: Record<string, string> = {}) {
  const config = testConfig({ LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS: '1000', ...env });
  await createTopics(config);
  const server = await spawnServer(envFor(config, env));
  const tokens = new Tokens(config.jwt);
  const eventId = randomEventId();
  const admin = { adminKey: config.adminKey };
  await http(server.url, 'POST', '/api/admin/events', { ...admin, body: { id: eventId, name: 'door', totalStock: 100_000 } });
  await http(server.url, 'POST', `/api/admin/events/${eventId}/open`, admin);
  const apply = async () =>
    (await http(server.url, 'POST', `/api/events/${eventId}/apply`, { token: await tokens.issue(randomEmail('door')) })).status;
  const stop = async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  };
  return { config, server, apply, eventId, stop };
}

test.serial(
  'clients that never read their answers lose their connections within seconds, and apply, health and admin answer throughout',
  async (t) => {
    const { config, server, apply, eventId, stop } = await serverWith();
    t.is(config.http.writeStallMs, WRITE_STALL_MS);
    t.teardown(stop);
    // Production's heap budget (bin/terning.js: 144 MB of old space, 16 MB semi-spaces), not Node's default of gigabytes.
    const limitMb = (await heap(server.url, config.adminKey)).limitMb;
    t.true(limitMb > 144 && limitMb < 256, `the API's heap limit is ${limitMb} MB`);
    const page = String((await http(server.url, 'GET', '/')).body);
    const script = /\/assets\/main-[^"]+\.js/.exec(page)![0];
    // Each connection asks for the page's script many times over in one write and reads none of it:
    // the kernel takes about 4 MB of answers for each (loopback), the rest waits in the process.
    // Together they ask for many more answers than the API works on at once (512).
    const pipelined = rawGet(script).repeat(256);
    const { clients, failed } = await rawClients(server.url, 32, { reading: false });
    t.is(failed, 0);
    for (const c of clients) c.socket.write(pipelined);
    await new Promise((r) => setTimeout(r, 1_000));

    // While every attacking connection is still open, the API answers everyone else.
    t.is(await apply(), 202);
    t.is((await http(server.url, 'GET', '/healthz')).status, 200);
    t.is((await http(server.url, 'GET', '/readyz')).status, 200);
    t.is((await http(server.url, 'GET', '/metrics', { adminKey: config.adminKey })).status, 200);
    t.is((await http(server.url, 'GET', `/api/admin/events/${eventId}`, { adminKey: config.adminKey })).status, 200);
    t.is((await http(server.url, 'GET', script)).status, 200);
    t.is((await http(server.url, 'GET', '/')).status, 200);
    t.is((await http(server.url, 'GET', `/api/events/${eventId}`)).status, 200);
    t.is(clients.filter((c) => c.closed).length, 0, 'the API answered while the attack went on, not after it was cut off');

    // Then the door closes every one of them: none has read a byte since.
    const after = await Promise.all(clients.map((c) => c.closedAfter));
    t.true(Math.max(...after) < WRITE_STALL_MS + GRACE_MS + 500, `the last closed after ${Math.round(Math.max(...after))} ms`);
    t.is(await apply(), 202);
  },
);

test.serial('a client that reads its answers slowly keeps its connection and gets every one', async (t) => {
  const { server, stop } = await serverWith({ HTTP_WRITE_STALL_MS: '3000' });
  t.teardown(stop);
  const page = String((await http(server.url, 'GET', '/')).body);
  const script = /\/assets\/main-[^"]+\.js/.exec(page)![0];
  const size = Number((await http(server.url, 'GET', script)).headers.get('content-length'));
  // Far more than the kernel takes of answers nobody reads (about 4 MB on loopback): the rest waits in the process.
  const count = 512;
  const {
    clients: [c],
  } = await rawClients(server.url, 1, { reading: false });
  c!.socket.write(rawGet(script).repeat(count));
  // About 1 MB a second: the answers take longer than the stall limit to read, but they move. (The
  // kernel wakes the writer once a third of its send buffer is free: on loopback, 4 MB.)
  let read = 0;
  const started = performance.now();
  while (read < count * size && !c!.closed) {
    await new Promise((r) => setTimeout(r, 50));
    for (
      let chunk: Buffer | null;
      read < ((performance.now() - started) / 1000) * 1_000_000 && (chunk = c!.socket.read() as Buffer | null) !== null;
    )
      read += chunk.length;
  }
  t.true(performance.now() - started > 3_000, 'the answers took longer to read than the stall limit');
  t.false(c!.closed, `closed after ${read} of ${count * size} bytes`);
  t.true(read >= count * size);
});

/** The API process's heap in use and its old space's size, from /metrics. */
async function heap(url: string, adminKey: string) {
  const text = String((await http(url, 'GET', '/metrics', { adminKey })).body);
  const sample = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  return {
    usedMb: Math.round(sample(/^nodejs_heap_size_used_bytes\{[^}]*\} (\d+)/m) / 2 ** 20),
    oldSpaceMb: Math.round(sample(/^nodejs_heap_space_size_total_bytes\{[^}]*space="old"[^}]*\} (\d+)/m) / 2 ** 20),
    limitMb: Math.round(sample(/^terning_heap_limit_bytes(?:\{[^}]*\})? (\d+)/m) / 2 ** 20),
  };
}

/** Writes `piece` every 2 s while the connection lasts: a client that is slow on purpose. */
function trickle(c: RawClient, piece: string) {
  const timer = setInterval(() => {
    if (!c.closed) c.socket.write(piece);
  }, 2_000);
  void c.closedAfter.then(() => clearInterval(timer));
}

const slowBody = (n: number) =>
  [
    'POST /api/auth/verify-code HTTP/1.1',
    'Host: terning',
    'Content-Type: application/json',
    'Content-Length: 4000',
    '',
    `{"email":"slow-${n}@example.test","code":"`,
  ].join('\r\n');

test.serial(
  'slow bodies: connections past the caps per network and in all are closed at once, and the process lives and answers',
  async (t) => {
    // Production's caps (256 per network, 4,000 in all) and heap; only the request timeout is longer,
    // so that the slow bodies last the whole test.
    const { perNetwork, total } = { perNetwork: 256, total: 4_000 };
    const { config, server, apply, stop } = await serverWith({ HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '60000' });
    t.teardown(stop);
    t.like(config.http, { maxConnectionsPerNetwork: perNetwork, maxConnections: total });
    const slow = (clients: RawClient[]) => {
      clients.forEach((c, n) => c.socket.write(slowBody(n)));
      clients.forEach((c) => trickle(c, 'a'.repeat(8)));
    };
    const networks = async (from: number, count: number) =>
      (
        await Promise.all(
          Array.from({ length: count }, (_, i) => rawClients(server.url, perNetwork, { localAddress: `127.0.1.${from + i}` })),
        )
      ).flatMap((r) => r.clients);

    // One address asks for twice its share.
    const one = await rawClients(server.url, 2 * perNetwork, { localAddress: '127.0.0.2' });
    slow(one.clients);
    await new Promise((r) => setTimeout(r, 1_000));
    t.is(one.clients.filter((c) => !c.closed).length, perNetwork, 'one network holds no more than its cap');
    t.true(
      one.clients.filter((c) => c.closed).every((c) => c.received() === ''),
      'a connection past a cap is closed before anything is read or said',
    );

    // Fourteen networks fill all but a few hundred places: the API answers everyone else meanwhile.
    const crowd = await networks(1, 14);
    slow(crowd);
    await new Promise((r) => setTimeout(r, 2_000));
    t.is(crowd.filter((c) => !c.closed).length, 14 * perNetwork);
    t.is(await apply(), 202);
    t.log('heap with', 15 * perNetwork, 'slow bodies', await heap(server.url, config.adminKey));

    // Two networks more: past the cap in all, the rest are closed at once.
    const more = await networks(15, 2);
    slow(more);
    await new Promise((r) => setTimeout(r, 2_000));
    const everyone = [...one.clients, ...crowd, ...more];
    const open = everyone.filter((c) => !c.closed).length;
    t.true(open <= total && open >= total - 10, `${open} open, the cap is ${total}`);
    for (const c of everyone) c.socket.destroy();
    await new Promise((r) => setTimeout(r, 1_000));
    t.is(await apply(), 202, 'alive and answering once the attack lets go');
    t.is(server.child.exitCode, null);
  },
);

test.serial('big headers: past HTTP_MAX_HEADER_SIZE 431 in the one error shape, and one address gets no more than its cap', async (t) => {
  const { server, apply, stop } = await serverWith();
  t.teardown(stop);
  // Eleven headers of 1,300 bytes (14.3 KB), as the probe sent, from 3,000 connections of one address.
  const big = Array.from({ length: 11 }, (_, i) => `X-Big-${i}: ${'b'.repeat(1_300)}`);
  const { clients } = await rawClients(server.url, 3_000, { localAddress: '127.0.0.3' });
  for (const c of clients) c.socket.write(rawGet('/api/event', big));
  await Promise.all(clients.map((c) => c.closedAfter));
  const answered = clients.filter((c) => c.received() !== '');
  t.true(answered.length >= 256, `${answered.length} answered`);
  t.true(answered.length < clients.length, 'connections past the cap were closed unanswered');
  // 431; or, on a machine too busy to read them within the headers timeout, 408.
  for (const c of answered)
    t.regex(c.received(), /^HTTP\/1.1 (431 [^]*\{"error":\{"code":"HEADERS_TOO_LARGE"|408 [^]*\{"error":\{"code":"REQUEST_TIMEOUT")/);
  t.true(answered.some((c) => c.received().startsWith('HTTP/1.1 431 ')));
  // Headers a participant sends pass, and the process lives.
  const {
    clients: [ok],
  } = await rawClients(server.url, 1);
  ok!.socket.write(
    rawGet(
      '/healthz',
      Array.from({ length: 5 }, (_, i) => `X-Fine-${i}: ${'b'.repeat(1_300)}`),
    ),
  );
  await new Promise((r) => setTimeout(r, 500));
  t.regex(ok!.received(), /^HTTP\/1.1 200 /);
  t.is(await apply(), 202);
  t.is(server.child.exitCode, null);
});

const rawPost = (path: string, body: string) =>
  [`POST ${path} HTTP/1.1`, 'Host: terning', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, '', body].join(
    '\r\n',
  );
const answers = (c: RawClient) => c.received().split('HTTP/1.1 ').length - 1;

test.serial(
  'pipelined floods of sign-ins and probes: a connection gets one in the app and a few behind it, then is closed; the process answers throughout',
  async (t) => {
    const { config, server, apply, stop } = await serverWith();
    t.teardown(stop);
    t.is(config.http.maxPipelined, 8);
    // Requests that skip the turn (a body, a probe): each connection pipelines 2,000 in one write, a
    // few chunks of Node's reads, every one of them parsed and handed on at once before.
    const signIns = rawPost('/api/auth/verify-code', '{"email":"flood@example.test","code":"000000"}').repeat(2_000);
    const probes = rawGet('/readyz').repeat(2_000);
    const a = await rawClients(server.url, 16, { localAddress: '127.0.0.4' });
    const b = await rawClients(server.url, 16, { localAddress: '127.0.0.5' });
    t.is(a.failed + b.failed, 0);
    for (const c of a.clients) c.socket.write(signIns);
    for (const c of b.clients) c.socket.write(probes);
    t.is(await apply(), 202, 'a participant is answered while the floods are on');
    t.is((await http(server.url, 'GET', '/readyz')).status, 200);
    await Promise.all([...a.clients, ...b.clients].map((c) => c.closedAfter));
    const most = Math.max(...[...a.clients, ...b.clients].map(answers));
    t.true(most <= 1 + config.http.maxPipelined, `a flooding connection was answered ${most} times before it was closed`);
    t.log('heap after the floods', await heap(server.url, config.adminKey));

    // One request at a time on a connection, or a few pipelined, are answered as ever.
    const {
      clients: [fine],
    } = await rawClients(server.url, 1);
    fine!.socket.write(rawGet('/readyz').repeat(1 + config.http.maxPipelined));
    for (let i = 0; i < 100 && answers(fine!) < 1 + config.http.maxPipelined; i++) await new Promise((r) => setTimeout(r, 100));
    t.is(answers(fine!), 1 + config.http.maxPipelined);
    t.false(fine!.closed);
    fine!.socket.destroy();
    t.is(await apply(), 202);
    t.is(server.child.exitCode, null);
  },
);
