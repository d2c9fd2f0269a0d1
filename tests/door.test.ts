import test from 'ava';
import { testConfig, createTopics, randomEmail, randomEventId } from './support/system.ts';
import { envFor, spawnServer } from './support/processes.ts';
import { http } from './support/http.ts';
import { rawClients, rawGet } from './support/raw-clients.ts';
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
  const apply = async () => (await http(server.url, 'POST', `/api/events/${eventId}/apply`, { token: await tokens.issue(randomEmail('door')) })).status;
  const stop = async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  };
  return { config, server, apply, eventId, stop };
}

test.serial('clients that never read their answers lose their connections within seconds, and apply, health and admin answer throughout', async (t) => {
  const { config, server, apply, eventId, stop } = await serverWith();
  t.is(config.http.writeStallMs, WRITE_STALL_MS);
  t.teardown(stop);
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
  t.is(clients.filter((c) => c.closed).length, 0, 'the API answered while the attack went on, not after it was cut off');

  // Then the door closes every one of them: none has read a byte since.
  const after = await Promise.all(clients.map((c) => c.closedAfter));
  t.true(Math.max(...after) < WRITE_STALL_MS + GRACE_MS + 500, `the last closed after ${Math.round(Math.max(...after))} ms`);
  t.is(await apply(), 202);
});

test.serial('a client that reads its answers slowly keeps its connection and gets every one', async (t) => {
  const { server, stop } = await serverWith({ HTTP_WRITE_STALL_MS: '3000' });
  t.teardown(stop);
  const page = String((await http(server.url, 'GET', '/')).body);
  const script = /\/assets\/main-[^"]+\.js/.exec(page)![0];
  const size = Number((await http(server.url, 'GET', script)).headers.get('content-length'));
  // Far more than the kernel takes of answers nobody reads (about 4 MB on loopback): the rest waits in the process.
  const count = 512;
  const { clients: [c] } = await rawClients(server.url, 1, { reading: false });
  c!.socket.write(rawGet(script).repeat(count));
  // About 1 MB a second: the answers take longer than the stall limit to read, but they move. (The
  // kernel wakes the writer once a third of its send buffer is free: on loopback, 4 MB.)
  let read = 0;
  const started = performance.now();
  while (read < count * size && !c!.closed) {
    await new Promise((r) => setTimeout(r, 50));
    for (let chunk: Buffer | null; read < ((performance.now() - started) / 1000) * 1_000_000 && (chunk = c!.socket.read() as Buffer | null) !== null;) read += chunk.length;
  }
  t.true(performance.now() - started > 3_000, 'the answers took longer to read than the stall limit');
  t.false(c!.closed, `closed after ${read} of ${count * size} bytes`);
  t.true(read >= count * size);
});
