import test from 'ava';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { admission, platformRequests } from '../server/apply/2-admission.ts';
import { adminKeyCheck } from '../server/middleware/auth.ts';
import { until } from './support/wait.ts';

const KEY = 'the-admin-key-of-this-test';

/** An API of `concurrency` places whose participant requests are held until the test lets them go. */
async function held(concurrency: number, queueLimit = 100) {
  const holding: { url: string; release: () => void }[] = [];
  const app = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const answer = () => {
        res.end(req.url);
        resolve();
      };
      if (req.url!.startsWith('/participant')) holding.push({ url: req.url!, release: answer });
      else answer();
    });
  const http = createServer(
    admission(app, { concurrency, queueLimit, maxPipelined: 8, production: false }, platformRequests(adminKeyCheck(KEY))),
  );
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url,
    holding: () => holding.map((h) => h.url),
    releaseFirst: () => holding.shift()!.release(),
    /** Sends a participant's request and waits until the app holds it; then its answer is `answer`. */
    async admitted(path: string): Promise<{ answer: Promise<string> }> {
      const answer = answered(fetch(`${url}${path}`));
      await until(`${path} in the app`, async () => (holding.some((h) => h.url === path) ? true : undefined));
      return { answer };
    },
    close: () =>
      new Promise<void>((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
}

const answered = async (p: Promise<Response>) => (await p).text();
const pending = Symbol('pending');
/** The answer, or `pending` if there is none within a second. */
const settled = <T>(p: Promise<T>) => Promise.race([p, new Promise<typeof pending>((r) => setTimeout(() => r(pending), 1_000))]);

test('probes and the operator skip a queue of participants; a wrong key waits its turn', async (t) => {
  const api = await held(2);
  t.teardown(api.close);
  const { answer: first } = await api.admitted('/participant/1');
  const { answer: second } = await api.admitted('/participant/2');
  const third = answered(fetch(`${api.url}/participant/3`));
  t.is(await settled(third), pending, 'two places, both taken');

  for (const path of ['/healthz', '/readyz', '/metrics?x=1']) t.is(await answered(fetch(`${api.url}${path}`)), path);
  t.is(await answered(fetch(`${api.url}/api/admin/events`, { headers: { 'X-ADMIN-KEY': KEY } })), '/api/admin/events');
  const guess = answered(fetch(`${api.url}/api/admin/events?guess`, { headers: { 'X-ADMIN-KEY': 'not-the-key' } }));
  const lookalike = answered(fetch(`${api.url}/healthzz`));
  t.is(await settled(guess), pending, 'a wrong key is a participant like any other');
  t.is(await settled(lookalike), pending);

  // Places are given in arrival order: the third participant first.
  api.releaseFirst();
  t.is(await first, '/participant/1');
  await until('the third participant in the app', async () => (api.holding().includes('/participant/3') ? true : undefined));
  t.is(await settled(guess), pending);
  api.releaseFirst();
  t.is(await second, '/participant/2');
  t.is(await guess, '/api/admin/events?guess');
  t.is(await lookalike, '/healthzz');
  api.releaseFirst();
  t.is(await third, '/participant/3');
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
  const http = createServer(admission(app, { concurrency: 1, queueLimit: 100, maxPipelined: 8, production: false }, () => false));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  );
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const texts = await Promise.all(Array.from({ length: 20 }, () => answered(fetch(url))));
  t.is(most, 1);
  t.true(texts.every((x) => x.length === 1_000));
});

test('past the queue limit a request is told 503 SERVICE_BUSY with Retry-After at once, in the one error shape', async (t) => {
  const api = await held(1, 2);
  t.teardown(api.close);
  const { answer: first } = await api.admitted('/participant/1');
  const waiting = [answered(fetch(`${api.url}/participant/2`))];
  t.is(await settled(waiting[0]!), pending);
  waiting.push(answered(fetch(`${api.url}/participant/3`)));
  t.is(await settled(waiting[1]!), pending);
  const refused = await fetch(`${api.url}/participant/4`, { headers: { 'X-Request-Id': 'busy-1' } });
  t.is(refused.status, 503);
  t.is(refused.headers.get('retry-after'), '5');
  t.is(refused.headers.get('x-request-id'), 'busy-1');
  t.is(refused.headers.get('x-content-type-options'), 'nosniff');
  t.deepEqual(await refused.json(), {
    error: { code: 'SERVICE_BUSY', message: 'too many requests are waiting; try again in a few seconds' },
  });
  // Probes still pass; the queue empties in order and takes requests again.
  t.is(await answered(fetch(`${api.url}/healthz`)), '/healthz');
  api.releaseFirst();
  t.is(await first, '/participant/1');
  for (const path of ['/participant/2', '/participant/3']) {
    await until(`${path} in the app`, async () => (api.holding().includes(path) ? true : undefined));
    api.releaseFirst();
  }
  t.deepEqual(await Promise.all(waiting), ['/participant/2', '/participant/3']);
  const { answer: again } = await api.admitted('/participant/5');
  api.releaseFirst();
  t.is(await again, '/participant/5');
});

test('a request taken from the queue is not held by it: once answered, it can be collected', async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const finish = new Map<string, () => void>();
  const listener = admission(
    (req) => new Promise<void>((resolve) => finish.set(req.url!, resolve)),
    { concurrency: 1, queueLimit: 100, maxPipelined: 8, production: false },
    () => false,
  );
  const refs = new Map<string, WeakRef<object>>();
  const arrive = (url: string) => {
    const req = { url, headers: {}, destroyed: false, socket: { pause() {}, resume() {} } };
    refs.set(url, new WeakRef(req));
    listener(req as unknown as IncomingMessage, {} as ServerResponse);
  };
  // One place: a runs, b, c and d wait.
  for (const url of ['/a', '/b', '/c', '/d']) arrive(url);
  finish.get('/a')!();
  await until('b in the app', async () => (finish.has('/b') ? true : undefined));
  finish.get('/b')!();
  await until('c in the app', async () => (finish.has('/c') ? true : undefined));
  finish.delete('/a');
  finish.delete('/b');
  // d still waits, so the queue is not emptied; a and b are answered and must not be held by it.
  await new Promise((r) => setImmediate(r));
  gc();
  t.is(refs.get('/a')!.deref(), undefined, 'a, answered');
  t.is(refs.get('/b')!.deref(), undefined, 'b, taken from the queue and answered');
  t.not(refs.get('/d')!.deref(), undefined, 'd, still waiting, is held');
});
