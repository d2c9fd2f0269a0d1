import test from 'ava';
import { Agent, request } from 'node:http';
import { testConfig, createTopics, randomEmail, randomEventId } from './support/system.ts';
import { envFor, spawnServer } from './support/processes.ts';
import { http } from './support/http.ts';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';

/** What became of one request: its status, or the error and whether the request had been written whole. */
type Outcome = { status: number; connection?: string } | { error: string; written: boolean };

/**
 * A POST on a connection of its own (or on `agent`'s), as a browser arriving through no proxy sends
 * it, from `localAddress` (a crowd comes from many networks: one holds at most 256 connections).
 */
function send(url: string, path: string, token: string, agent: Agent | false = false, localAddress?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let written = false;
    const req = request(`${url}${path}`, { method: 'POST', agent, localAddress, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, written }));
    });
    req.on('finish', () => {
      written = true;
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, written }));
    req.end();
  });
}

test('a rolling deploy: SIGTERM amid a burst of applies on new connections resets none that reached the process', async (t) => {
  const config = testConfig({ LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS: '1000' });
  await createTopics(config);
  // As docker-compose.prod.yml has it: long enough for this test's calls in the delay on a busy machine.
  const server = await spawnServer(envFor(config, { SHUTDOWN_DELAY_MS: '5000' }));
  t.teardown(() => {
    server.child.kill('SIGKILL');
  });
  const eventId = randomEventId();
  await http(server.url, 'POST', '/api/admin/events', {
    adminKey: config.adminKey,
    body: { id: eventId, name: 'deploy', totalStock: 10_000 },
  });
  await http(server.url, 'POST', `/api/admin/events/${eventId}/open`, { adminKey: config.adminKey });
  const path = `/api/events/${eventId}/apply`;
  const tokens = new Tokens(config.jwt);
  const token = () => tokens.issue(randomEmail('deploy'));
  const people = await Promise.all(Array.from({ length: 400 }, token));
  // A client of before the signal, on a kept-alive connection.
  const keptAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  t.like(await send(server.url, path, await token(), keptAlive), { status: 202 });

  // 400 applies, each on a new connection, and SIGTERM 30 ms into them: as measured in issue 20.
  const burst = Promise.all(people.map((p, i) => send(server.url, path, p, false, `127.0.2.${1 + (i % 100)}`)));
  await new Promise((r) => setTimeout(r, 30));
  server.child.kill('SIGTERM');

  // Readiness fails first, while the API still takes connections and answers, each with Connection: close.
  await server.waitFor(/draining: readiness fails/);
  const ready = await http(server.url, 'GET', '/readyz');
  t.is(ready.status, 503);
  t.like(await send(server.url, path, await token(), keptAlive), { status: 202, connection: 'close' });
  t.like(await send(server.url, path, await token()), { status: 202, connection: 'close' });

  // Then it takes no more: a new connection is refused (what a load balancer retries elsewhere).
  await server.waitFor(/draining: no new connections/);
  t.like(await send(server.url, path, await token()), { error: 'ECONNREFUSED', written: false });

  const outcomes = await burst;
  const exit = await server.exited;
  t.is(exit.code, 0, server.output.slice(-5).join('\n'));
  const count = (what: (o: Outcome) => boolean) => outcomes.filter(what).length;
  const resetAfterWrite = count((o) => 'error' in o && o.written);
  const refused = count((o) => 'error' in o && !o.written && o.error === 'ECONNREFUSED');
  const won = count((o) => 'status' in o && o.status === 202);
  t.log({ won, refused, resetAfterWrite, other: outcomes.length - won - refused - resetAfterWrite });

  t.is(resetAfterWrite, 0, 'every request that reached the process was answered');
  t.is(
    won + refused,
    outcomes.length,
    JSON.stringify(
      outcomes.filter((o) => !('status' in o && o.status === 202) && !('error' in o && o.error === 'ECONNREFUSED')).slice(0, 3),
    ),
  );
  t.true(won > 0);
});
