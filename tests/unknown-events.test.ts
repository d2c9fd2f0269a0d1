import test from 'ava';
import { randomEventId, testConfig, testLog } from './support/system.ts';
import { until } from './support/wait.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { KNOWN_IDS_TTL_MS } from '../core/use-cases/operator/events.ts';
import { publicEvent } from '../core/use-cases/participant/event-view.ts';

// Participants name any event id they like; on real MySQL and Redis, count what a flood of made-up ids
// asks MySQL.
let a: Stores;
let b: Stores;
test.before(() => {
  const config = testConfig();
  a = openStores(config, testLog());
  b = openStores(config, testLog());
});
test.after.always(async () => {
  await Promise.allSettled([a?.close(), b?.close()]);
});

/** Counts the queries a store's Sequelize sends that read the events table. */
function countEventReads(stores: Stores): { readonly n: number } {
  const counter = { n: 0 };
  const query = stores.sequelize.query.bind(stores.sequelize);
  stores.sequelize.query = ((sql: unknown, ...rest: unknown[]) => {
    const text = typeof sql === 'string' ? sql : String((sql as { query?: string }).query ?? sql);
    if (/FROM `events`/i.test(text)) counter.n++;
    return (query as (...args: unknown[]) => unknown)(sql, ...rest);
  }) as typeof stores.sequelize.query;
  return counter;
}

test.serial('a flood of distinct unknown event ids asks MySQL once per list lifetime, not once per id', async (t) => {
  const reads = countEventReads(a);
  const startedAt = Date.now();
  const ids = Array.from({ length: 2_000 }, () => randomEventId());
  const answers = await Promise.all(
    ids.flatMap((id) => [
      a.events.ensureLoaded(id),
      publicEvent(a.events, id).then(
        () => 'found',
        (e: { code?: string }) => e.code,
      ),
    ]),
  );
  const elapsed = Date.now() - startedAt;
  t.deepEqual(new Set(answers), new Set(['unknown', 'EVENT_NOT_FOUND']), 'every made-up id is unknown, on both participant paths');
  const bound = 1 + Math.ceil(elapsed / KNOWN_IDS_TTL_MS);
  t.true(reads.n <= bound, `${reads.n} reads of the events table for ${answers.length} lookups in ${elapsed} ms (at most ${bound})`);
  t.true(reads.n >= 1, 'the list was read');
});

test.serial('an event created through this process is found at once; another process finds it within the list lifetime', async (t) => {
  const id = randomEventId();
  t.is(await a.events.ensureLoaded(id), 'unknown');
  t.is(await b.events.ensureLoaded(id), 'unknown', 'both processes have read the list without it');
  await a.events.create({ id, name: id, totalStock: 1 });
  await a.events.open(id);
  t.is((await publicEvent(a.events, id)).id, id, 'the creating process knows it at once');
  t.is(await a.events.ensureLoaded(id), 'loaded');
  await until(
    'the other process sees the new event',
    async () => ((await b.events.ensureLoaded(id)) === 'loaded' ? true : undefined),
    KNOWN_IDS_TTL_MS * 10,
  );
  t.is((await publicEvent(b.events, id)).state, 'open');
  t.is((await b.events.snapshot(id)).id, id, "the operator's reads ask MySQL itself");
});
