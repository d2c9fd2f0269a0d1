import test from 'ava';
import { Redis } from 'ioredis';
import { get, type ClientRequest } from 'node:http';
import { startSystem, newEvent, randomEmail, testLog, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { openStream, nextStanding } from './support/sse.ts';
import { ConsumerProcess } from '../consumer/process.ts';
import { eventKeys } from '../core/adapters/redis/keys.ts';
import { openStores } from '../core/stores.ts';
import { encodeApplication } from '../core/adapters/kafka/codec.ts';
import { produceRaw } from './support/kafka.ts';

// No consumer at first: a win whose hand-off is unconfirmed stays PENDING until a test starts one.
let sys: System;
test.before(async () => {
  // Hundreds of streams come from this one address below: more than one client network may hold (server/door.ts).
  sys = await startSystem({ consumer: false, env: { HTTP_MAX_CONNECTIONS_PER_NETWORK: '0' } });
});
test.after.always(async () => {
  await sys?.stop();
});

const streamUrl = (eventId: string, token?: string) =>
  `${sys.url}/api/events/${eventId}/status/stream${token ? `?access_token=${encodeURIComponent(token)}` : ''}`;

async function applied(eventId: string, tag: string) {
  const email = randomEmail(tag);
  const token = await sys.tokens.issue(email);
  const res = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token });
  if (res.status !== 202) throw new Error(`apply answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { email, token, ticket: res.body.ticket as number };
}

test.serial('auth and other refusals come in the one error shape, before any stream opens', async (t) => {
  const eventId = await newEvent(sys, 1);
  const missing = await openStream(streamUrl(eventId));
  t.is(missing.status, 401);
  t.is(missing.body.error.code, 'TOKEN_MISSING');

  const forged = await openStream(streamUrl(eventId, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'));
  t.is(forged.status, 401);
  t.is(forged.body.error.code, 'TOKEN_INVALID');

  const token = await sys.tokens.issue(randomEmail('never'));
  const notApplied = await openStream(streamUrl(eventId, token));
  t.is(notApplied.status, 404);
  t.deepEqual(Object.keys(notApplied.body), ['error']);
  t.is(notApplied.body.error.code, 'NOT_APPLIED');

  const badEvent = await openStream(`${sys.url}/api/events/NOT_AN_ID/status/stream?access_token=${token}`);
  t.is(badEvent.status, 400);
  t.is(badEvent.body.error.code, 'VALIDATION_FAILED');
});

test.serial('hundreds of open streams, whatever their Accept header, never hold up an apply', async (t) => {
  const eventId = await newEvent(sys, 10);
  // Wins whose hand-off is unconfirmed: their streams stay open, waiting for a consumer.
  const stores = openStores(sys.config);
  t.teardown(() => stores.close());
  const emails = Array.from({ length: 6 }, (_, i) => randomEmail(`held-${i}`));
  await stores.scripts.applyMany(eventId, emails, Date.now());
  const people = await Promise.all(emails.map(async (email) => ({ token: await sys.tokens.issue(email) })));
  const streams: ClientRequest[] = [];
  t.teardown(() => {
    for (const s of streams) s.destroy();
  });
  // More streams than the API works on at once (server/apply/2-admission.ts), none saying text/event-stream.
  await Promise.all(
    Array.from(
      { length: 540 },
      (_, i) =>
        new Promise<void>((resolve, reject) => {
          const req = get(streamUrl(eventId, people[i % people.length]!.token), { agent: false }, (res) => {
            if (res.statusCode === 200) resolve();
            else reject(new Error(`stream ${i} answered ${res.statusCode}`));
          });
          req.on('error', reject);
          streams.push(req);
        }),
    ),
  );
  const late = await fetch(`${sys.url}/api/events/${eventId}/apply`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await sys.tokens.issue(randomEmail('late'))}` },
    signal: AbortSignal.timeout(10_000),
  });
  t.is(late.status, 202, 'answered while 540 streams stay open');
});

test.serial('a winner gets WON at once and the stream ends', async (t) => {
  const eventId = await newEvent(sys, 1);
  const p = await applied(eventId, 'won');
  const s = await openStream(streamUrl(eventId, p.token));
  t.is(s.status, 200);
  const won = await nextStanding(s);
  t.is(won.status, 'WON');
  t.is(won.ticket, p.ticket);
  t.is(await s.next(), null, 'decided at arrival: nothing to wait for');
  const status = await http(sys.url, 'GET', `/api/events/${eventId}/status`, { token: p.token });
  t.deepEqual(status.body, won, 'the stream and the status call agree');
});

test.serial(
  'a win whose hand-off was never confirmed streams PENDING, then WON the moment a consumer persists it; one subscriber for all',
  async (t) => {
    const eventId = await newEvent(sys, 1);
    // An API process that died between the gate and Kafka's ack left this reservation; its record reached
    // Kafka (produced here), so a consumer persists it.
    const email = randomEmail('unconfirmed');
    const token = await sys.tokens.issue(email);
    const stores = openStores(sys.config);
    t.teardown(() => stores.close());
    const [gate] = await stores.scripts.applyMany(eventId, [email], Date.now());
    if (gate?.kind !== 'new') throw new Error(`expected a reservation, got ${gate?.kind}`);

    const a = await openStream(streamUrl(eventId, token));
    t.is(a.status, 200);
    t.regex(a.headers.get('content-type') ?? '', /^text\/event-stream/);
    t.regex(a.headers.get('cache-control') ?? '', /no-cache/);
    const pending = await nextStanding(a);
    t.deepEqual(pending, { status: 'PENDING', ticket: gate.ticket, decidedAt: new Date(gate.decidedAt).toISOString() });
    // The header works too, for clients that can send one; and a second tab of the same person.
    const aAgain = await openStream(streamUrl(eventId), { Authorization: `Bearer ${token}` });
    t.is((await nextStanding(aAgain)).status, 'PENDING');

    const redis = new Redis(sys.config.redisUrl);
    t.teardown(() => redis.quit());
    const channel = eventKeys(sys.config.redisPrefix, eventId).decisionsChannel;
    const [, subscribers] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
    t.is(Number(subscribers), 1, 'two streams, one subscription');

    await produceRaw(sys.config, [encodeApplication({ eventId, person: email, email, ticket: gate.ticket, decidedAt: gate.decidedAt })]);
    const consumer = new ConsumerProcess(sys.config, { retryBaseMs: 100, sendEmails: false }, testLog());
    sys.consumer = consumer;
    await consumer.start();

    const won = await nextStanding(a, 20_000);
    t.like(won, { ...pending, status: 'WON' });
    t.regex(won.receipt, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the pushed WON carries the receipt');
    t.is(await a.next(), null, 'the stream ends once won');
    t.deepEqual(await nextStanding(aAgain), won);

    const status = await http(sys.url, 'GET', `/api/events/${eventId}/status`, { token });
    t.deepEqual(status.body, won, 'the push and the status call agree');

    const after = await until0(async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]));
    t.is(after, 0, 'the channel is left once nobody waits on it');
  },
);

async function until0(read: () => Promise<number>): Promise<number> {
  let n = await read();
  for (let i = 0; i < 50 && n !== 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    n = await read();
  }
  return n;
}
