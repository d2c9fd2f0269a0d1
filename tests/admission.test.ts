import test from 'ava';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { admission, platformRequests } from '../server/admission.ts';
import { adminKeyCheck } from '../server/middleware/auth.ts';

const KEY = 'the-admin-key-of-this-test';

/** An API of `concurrency` places whose participant requests are held until the test lets them go. */
async function held(concurrency: number) {
  const releases: (() => void)[] = [];
  const app = (req: IncomingMessage, res: ServerResponse) => new Promise<void>((resolve) => {
    const answer = () => {
      res.end(req.url);
      resolve();
    };
    if (req.url!.startsWith('/participant')) releases.push(answer);
    else answer();
  });
  const http = createServer(admission(app, concurrency, platformRequests(adminKeyCheck(KEY))));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { url, releases, close: () => new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); }) };
}

const answered = async (p: Promise<Response>) => (await p).text();
const pending = Symbol('pending');
const settled = <T>(p: Promise<T>) => Promise.race([p, new Promise<typeof pending>((r) => setTimeout(() => r(pending), 300))]);

test('probes and the operator skip a queue of participants; a wrong key waits its turn', async (t) => {
  const api = await held(2);
  t.teardown(api.close);
  const participants = [1, 2, 3].map((i) => answered(fetch(`${api.url}/participant/${i}`)));
  await new Promise((r) => setTimeout(r, 200));
  t.is(api.releases.length, 2, 'two places, both taken');

  for (const path of ['/healthz', '/readyz', '/metrics?x=1']) t.is(await answered(fetch(`${api.url}${path}`)), path);
  t.is(await answered(fetch(`${api.url}/api/admin/events`, { headers: { 'X-ADMIN-KEY': KEY } })), '/api/admin/events');
  const guess = answered(fetch(`${api.url}/api/admin/events?guess`, { headers: { 'X-ADMIN-KEY': 'not-the-key' } }));
  const lookalike = answered(fetch(`${api.url}/healthzz`));
  t.is(await settled(guess), pending, 'a wrong key is a participant like any other');
  t.is(await settled(lookalike), pending);

  // Places are given in arrival order: the third participant, then the guess, then the look-alike.
  api.releases.shift()!();
  t.is(await participants[0], '/participant/1');
  await new Promise((r) => setTimeout(r, 100));
  t.is(api.releases.length, 2, 'the third participant took the place');
  t.is(await settled(guess), pending);
  api.releases.shift()!();
  t.is(await guess, '/api/admin/events?guess');
  t.is(await lookalike, '/healthzz');
  api.releases.shift()!();
  t.deepEqual(await Promise.all(participants), ['/participant/1', '/participant/2', '/participant/3']);
});

test('a place is given back once the app has answered, not when the client has read the answer', async (t) => {
  let running = 0;
  let most = 0;
  const app = async (_req: IncomingMessage, res: ServerResponse) => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, 5));
    res.end('x'.repeat(1_000));
    running--;
  };
  const http = createServer(admission(app, 1, () => false));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); }));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const texts = await Promise.all(Array.from({ length: 20 }, () => answered(fetch(url))));
  t.is(most, 1);
  t.true(texts.every((x) => x.length === 1_000));
});
