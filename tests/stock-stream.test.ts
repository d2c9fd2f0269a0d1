import test from 'ava';
import { startSystem, newEvent, randomEmail, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { nextStock, openStream } from './support/sse.ts';
import { StockWatch } from '../core/use-cases/participant/stock-watch.ts';
import { pino } from 'pino';
import type { Stores } from '../core/stores.ts';

let sys: System;
/** What the API logged at level error or above. */
const errorsLogged: string[] = [];
test.before(async () => {
  const log = pino({ level: 'error' }, { write: (line: string) => void errorsLogged.push(line) });
  sys = await startSystem({ consumer: false, log });
});
test.after.always(async () => {
  await sys?.stop();
});

test("the event's stream pushes the remaining stock to anyone, falling with each win, and sold out the moment it is", async (t) => {
  const eventId = await newEvent(sys, 3);
  const watchers = await Promise.all(Array.from({ length: 50 }, () => openStream(`${sys.url}/api/events/${eventId}/stream`)));
  t.teardown(() => watchers.forEach((w) => w.close()));
  for (const w of watchers) t.deepEqual(await nextStock(w), { remaining: 3, total: 3, soldOut: false });
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    t.is((await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail()) })).status, 202);
    // Frames are a few a second at most: wins close together may come as one.
    for (let s = await nextStock(watchers[0]!); s && s.remaining > 2 - i; s = await nextStock(watchers[0]!)) seen.push(s.remaining);
    seen.push(2 - i);
  }
  t.deepEqual([...new Set(seen)], [2, 1, 0]);
  for (const w of watchers.slice(1)) {
    let last;
    do last = await nextStock(w);
    while (last && !last.soldOut);
    t.deepEqual(last, { remaining: 0, total: 3, soldOut: true });
  }
  t.is(sys.api.stockWatchers, 50, 'one read per event and turn serves all 50');
  t.deepEqual(errorsLogged, [], 'a stream writes its own head: no step after it may set a header');
});

test('the stock stream of a draft or an unknown event is 404, as the event is; a malformed id is 400', async (t) => {
  const draft = await newEvent(sys, 1, false);
  for (const id of [draft, 'no-such-event']) {
    const s = await openStream(`${sys.url}/api/events/${id}/stream`);
    t.is(s.status, 404);
    t.is(s.body.error.code, 'EVENT_NOT_FOUND');
  }
  const bad = await openStream(`${sys.url}/api/events/NOT_AN_ID/stream`);
  t.is(bad.status, 400);
});

test('a watch reads once per turn whatever its watchers, writes each change once to each, and stops reading when nobody watches', async (t) => {
  let reads = 0;
  let remaining = 5;
  const watch = new StockWatch(async () => {
    reads++;
    return { remaining, total: 5, soldOut: remaining === 0 };
  });
  const got: string[][] = [[], [], []];
  const stops = got.map((g) => watch.watch('ev', (f) => g.push(f.toString())));
  await new Promise((r) => setTimeout(r, 30));
  t.is(reads, 1);
  remaining = 4;
  await new Promise((r) => setTimeout(r, 600));
  t.true(reads >= 2 && reads <= 4, `${reads} reads in 0.6 s`);
  for (const g of got)
    t.deepEqual(
      g.map((f) => JSON.parse(f.split('data: ')[1]!).remaining),
      [5, 4],
    );
  for (const stop of stops) stop();
  const after = reads;
  await new Promise((r) => setTimeout(r, 600));
  t.is(reads, after, 'nobody watches: no reads');
  let ended = false;
  watch.watch(
    'ev2',
    () => {},
    () => (ended = true),
  );
  watch.close();
  t.true(ended, 'close ends every watcher');
});

test("a watch's heartbeat goes to each of its watchers from one timer per event, and stops with the last of them", async (t) => {
  const watch = new StockWatch(
    async () => ({ remaining: 1, total: 1, soldOut: false }),
    () => {},
    { heartbeatMs: 40 },
  );
  const got: string[][] = [[], []];
  const stops = got.map((g) => watch.watch('ev', (f) => g.push(f.toString())));
  await new Promise((r) => setTimeout(r, 130));
  const beats = got.map((g) => g.filter((f) => f === ': heartbeat\n\n').length);
  t.true(beats[0]! >= 2, JSON.stringify(got[0]));
  t.is(beats[0], beats[1], 'one timer: every watcher has as many');
  stops[0]!();
  await new Promise((r) => setTimeout(r, 100));
  const first = got[0]!.length;
  t.true(got[1]!.length > beats[1]! + 1, 'the other watcher still gets them');
  stops[1]!();
  const second = got[1]!.length;
  await new Promise((r) => setTimeout(r, 100));
  t.deepEqual([got[0]!.length, got[1]!.length], [first, second], 'none after a watcher stops');
  t.is(watch.watchers, 0);
});

test('a stock read still under way when the API stops sends nothing after the end: the stop does not crash the process', async (t) => {
  const one = await startSystem({ consumer: false });
  const eventId = await newEvent(one, 5);
  const s = await openStream(`${one.url}/api/events/${eventId}/stream`);
  t.teardown(() => s.close());
  t.deepEqual(await nextStock(s), { remaining: 5, total: 5, soldOut: false });
  // The next read finds a new stock the moment the stop has closed the watch (a read was under way).
  const { events } = (one.api as unknown as { stores: Stores }).stores;
  const snapshot = events.snapshot.bind(events);
  let closed!: () => void;
  const closing = new Promise<void>((r) => (closed = r));
  events.snapshot = async (id, settings) => {
    const e = await snapshot(id, settings);
    await closing;
    return { ...e, remainingStock: e.remainingStock - 1 };
  };
  const { stock } = one.api as unknown as { stock: StockWatch };
  const close = stock.close.bind(stock);
  stock.close = () => {
    close();
    closed();
  };
  await new Promise((r) => setTimeout(r, 300));
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => void crashes.push(err);
  process.prependListener('uncaughtException', onCrash);
  t.teardown(() => void process.off('uncaughtException', onCrash));
  await one.stop();
  await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(crashes, [], 'no write after the end');
  t.is(await nextStock(s), null, 'the stream ended');

  // The watch itself: a watcher it ended gets nothing more.
  let release!: () => void;
  const watch = new StockWatch(() => new Promise((r) => (release = () => r({ remaining: 1, total: 1, soldOut: false }))));
  const got: string[] = [];
  watch.watch(
    'ev',
    (f) => got.push(f.toString()),
    () => got.push('end'),
  );
  watch.close();
  release();
  await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(got, ['end']);
});

test('a watch asked for after close() ends at once: no read, no timer, nothing held', async (t) => {
  let reads = 0;
  const watch = new StockWatch(async () => {
    reads++;
    return { remaining: 1, total: 1, soldOut: false };
  });
  watch.close();
  let ended = false;
  const frames: string[] = [];
  const stop = watch.watch(
    'ev',
    (f) => frames.push(f.toString()),
    () => (ended = true),
  );
  await new Promise((r) => setTimeout(r, 300));
  t.true(ended, 'ended at once');
  t.is(reads, 0, 'nothing read for it');
  t.deepEqual(frames, []);
  t.is(watch.watchers, 0);
  stop();
});
