import test from 'ava';
import { watchStanding } from '../core/use-cases/participant/standing-watch.ts';
import type { Standing } from '../core/domain/decision.ts';
import type { FeedListener } from '../core/adapters/redis/decision-feed.ts';
import { AppError } from '../core/platform/errors.ts';

/**
 * The result stream's use case against fakes of its two ports (the standing, the decision feed): WON
 * at once, or PENDING and then WON the moment a consumer announces the win; an announcement made while
 * the standing is read is not missed; after a gap in the feed the standing is read again. The real feed
 * and streams are in tests/stream.test.ts.
 */
const AT = 1_800_000_000_000;
const WON: Standing = { status: 'WON', ticket: 4, decidedAt: new Date(AT).toISOString() };
const PENDING: Standing = { status: 'PENDING', ticket: 4, decidedAt: new Date(AT).toISOString() };

function fakes(standings: (Standing | Error)[], opts: { watchFails?: boolean } = {}) {
  let listener: FeedListener | undefined;
  const log: string[] = [];
  let reads = 0;
  const deps = {
    applications: {
      standing: async (eventId: string, person: string) => {
        log.push(`read ${eventId} ${person}`);
        const s = standings[Math.min(reads++, standings.length - 1)]!;
        if (s instanceof Error) throw s;
        return s;
      },
    },
    feed: {
      watch: async (eventId: string, person: string, l: FeedListener) => {
        log.push(`watch ${eventId} ${person}`);
        if (opts.watchFails) throw new Error('redis down');
        listener = l;
        return () => {
          log.push('stop');
        };
      },
    },
  };
  return { deps, log, hear: (...args: Parameters<FeedListener>) => listener!(...args) };
}
const winner = { person: 'p@x.test', ticket: 4, decidedAt: AT };

test('a winner is WON at once: the feed is watched before the standing is read, and nothing is awaited', async (t) => {
  const f = fakes([WON]);
  const w = await watchStanding(f.deps, 'ev', 'p@x.test');
  t.deepEqual(w.first, WON);
  t.deepEqual(await w.final, WON);
  t.deepEqual(f.log, ['watch ev p@x.test', 'read ev p@x.test']);
});

test('PENDING, then WON the moment the feed announces the persisted win', async (t) => {
  const f = fakes([PENDING]);
  const w = await watchStanding(f.deps, 'ev', 'p@x.test');
  t.deepEqual(w.first, PENDING);
  let settled = false;
  void w.final.then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  t.false(settled, 'nothing final before the announcement');
  f.hear({ kind: 'decided', winner });
  t.deepEqual(await w.final, WON);
});

test('a win announced while the standing is read is not missed: it is the first answer', async (t) => {
  const f = fakes([PENDING]);
  const original = f.deps.applications.standing;
  f.deps.applications.standing = async (eventId, person) => {
    f.hear({ kind: 'decided', winner });
    return original(eventId, person);
  };
  const w = await watchStanding(f.deps, 'ev', 'p@x.test');
  t.deepEqual(w.first, WON);
  t.deepEqual(await w.final, WON);
});

test('after a gap in the feed the standing is read again: WON settles it, PENDING waits on', async (t) => {
  const f = fakes([PENDING, PENDING, WON]);
  const w = await watchStanding(f.deps, 'ev', 'p@x.test');
  f.hear({ kind: 'resync' });
  await new Promise((r) => setImmediate(r));
  let settled = false;
  void w.final.then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  t.false(settled, 'still PENDING after the first read again');
  f.hear({ kind: 'resync' });
  t.deepEqual(await w.final, WON);
  t.is(f.log.filter((l) => l.startsWith('read')).length, 3);
});

test('the server stopping ends the watch with no standing; a later announcement changes nothing', async (t) => {
  const f = fakes([PENDING]);
  const w = await watchStanding(f.deps, 'ev', 'p@x.test');
  f.hear({ kind: 'closing' });
  f.hear({ kind: 'decided', winner });
  t.is(await w.final, null);
});

test('a feed that can not be watched is 503 STREAM_UNAVAILABLE, and the standing is not read', async (t) => {
  const f = fakes([WON], { watchFails: true });
  const e = await t.throwsAsync(watchStanding(f.deps, 'ev', 'p@x.test'), { instanceOf: AppError });
  t.like(e, { status: 503, code: 'STREAM_UNAVAILABLE' });
  t.deepEqual(f.log, ['watch ev p@x.test']);
});

test('a standing that can not be read stops the watch and is thrown as it is', async (t) => {
  const refused = new AppError(404, 'NOT_APPLIED', 'you hold no gift in this event');
  const f = fakes([refused]);
  const e = await t.throwsAsync(watchStanding(f.deps, 'ev', 'p@x.test'));
  t.is(e, refused);
  t.deepEqual(f.log, ['watch ev p@x.test', 'read ev p@x.test', 'stop']);
});
