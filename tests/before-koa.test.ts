import test from 'ava';
import { startSystem, type System } from './support/system.ts';
import { rawClient } from './support/raw-clients.ts';

let sys: System;
test.before(async () => {
  sys = await startSystem({ consumer: false });
});
test.after.always(async () => {
  await sys?.stop();
});

/** Sends `request` on a connection of its own and reads until the server closes it or `enough` holds. */
async function exchange(request: string, enough: (received: string) => boolean = () => false): Promise<string> {
  const c = await rawClient(sys.url);
  c.socket.write(request);
  const end = Date.now() + 10_000;
  while (!c.closed && !enough(c.received()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  c.socket.destroy();
  return c.received();
}

const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

test('an HTTP/1.1 request without Host: 400 HOST_MISSING in the one error shape, and the connection closed', async (t) => {
  const answer = await exchange('GET /api/event HTTP/1.1\r\n\r\n');
  t.regex(answer, /^HTTP\/1.1 400 /);
  t.regex(answer, /\r\nContent-Type: application\/json; charset=utf-8\r\n/i);
  t.regex(answer, /\r\nConnection: close\r\n/i);
  t.deepEqual(bodyOf(answer), { error: { code: 'HOST_MISSING', message: 'an HTTP/1.1 request needs a Host header' } });
});

test('an HTTP/1.0 request needs no Host', async (t) => {
  const answer = await exchange('GET /healthz HTTP/1.0\r\n\r\n');
  t.regex(answer, /^HTTP\/1.1 200 /);
  t.deepEqual(bodyOf(answer), { status: 'ok' });
});

test('an Expect other than 100-continue: 417 EXPECTATION_FAILED in the one error shape', async (t) => {
  const answer = await exchange(
    'POST /api/auth/send-verification-code HTTP/1.1\r\nHost: terning\r\nExpect: 200-ok\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
  );
  t.regex(answer, /^HTTP\/1.1 417 /);
  t.deepEqual(bodyOf(answer), { error: { code: 'EXPECTATION_FAILED', message: 'the only expectation this server meets is 100-continue' } });
});

test('Expect: 100-continue is met, and the request answered as any other', async (t) => {
  const c = await rawClient(sys.url);
  c.socket.write(
    'POST /api/auth/verify-code HTTP/1.1\r\nHost: terning\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n',
  );
  while (!c.received().includes('100 Continue') && !c.closed) await new Promise((r) => setTimeout(r, 20));
  c.socket.write('{}');
  while (!/\r\n\r\n\{.*\}$/s.test(c.received().split('HTTP/1.1 100 Continue\r\n\r\n')[1] ?? '') && !c.closed)
    await new Promise((r) => setTimeout(r, 20));
  c.socket.destroy();
  const answer = c.received().split('HTTP/1.1 100 Continue\r\n\r\n')[1]!;
  t.regex(answer, /^HTTP\/1.1 400 /);
  t.is(typeof bodyOf(answer).error.code, 'string');
});
