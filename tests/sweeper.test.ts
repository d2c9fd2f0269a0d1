import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueryTypes } from 'sequelize';
import { createTopics, randomEmail, randomEventId, testConfig, testLog } from './support/system.ts';
import { produceRaw, commitGroupToEnd } from './support/kafka.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { releaseStaleReservations } from '../core/use-cases/persistence/stale-reservations.ts';
import type { Config } from '../core/platform/config.ts';

// The sweeper's use case on real Redis, MySQL and Kafka; no consumer runs: the test commits the
// group's offsets itself, to say when Kafka has been persisted.
let config: Config;
let stores: Stores;
test.before(async () => {
  config = testConfig();
  await createTopics(config);
  stores = openStores(config, testLog());
});
test.after.always(async () => {
  await stores?.close();
});

async function reserve(eventId: string, person: string): Promise<{ ticket: number; at: number }> {
  const g = await stores.scripts.apply(eventId, person, Date.now());
  if (g.kind !== 'new') throw new Error(`the gate answered ${g.kind}`);
  return { ticket: g.ticket, at: g.decidedAt };
}

test.serial('a stale reservation is released only while the group has no lag; a confirmed one or a young one never', async (t) => {
  const eventId = randomEventId();
  await stores.events.create({ id: eventId, name: eventId, totalStock: 3 });
  await stores.events.open(eventId);
  const [stale, confirmed, young] = [randomEmail('stale'), randomEmail('confirmed'), randomEmail('young')];
  const staleTicket = (await reserve(eventId, stale)).ticket;
  const confirmedTicket = (await reserve(eventId, confirmed)).ticket;
  t.deepEqual(await stores.scripts.confirm(eventId, [{ person: confirmed, ticket: confirmedTicket }]), [true]);
  // A record the group has not persisted yet: it could be the stale one's.
  await produceRaw(config, ['not persisted yet']);
  await sleep(1_100);

  t.deepEqual(await releaseStaleReservations(stores, 1_000), { released: [], waiting: 1 }, 'lag: nothing is released');
  t.is(await stores.redis.get(stores.scripts.keys(eventId).remaining), '1');

  await commitGroupToEnd(config);
  // Swept as if half a second after the young one arrived, however slow this machine is.
  const now = (await reserve(eventId, young)).at + 500;
  const sweep = await releaseStaleReservations(stores, 1_000, now);
  t.deepEqual(
    sweep.released.map((r) => [r.person, r.ticket]),
    [[stale, staleTicket]],
  );
  const k = stores.scripts.keys(eventId);
  t.is(await stores.redis.get(k.remaining), '1', 'its unit is back for the next person to arrive');
  t.deepEqual(Object.keys(await stores.redis.hgetall(k.reserved)), [young]);
  t.deepEqual((await stores.scripts.apply(eventId, stale, Date.now())).kind, 'new', 'the released person may apply again');
  const rows = await stores.sequelize.query<{ person: string; status: string; ticket: string | number }>(
    'SELECT person, status, ticket FROM applications WHERE event_id = ?',
    { replacements: [eventId], type: QueryTypes.SELECT },
  );
  t.deepEqual(
    rows.map((r) => [r.person, r.status, Number(r.ticket)]),
    [[stale, 'RELEASED', staleTicket]],
  );
  t.deepEqual(await releaseStaleReservations(stores, 1_000, now), { released: [], waiting: 0 }, 'nothing twice');
});

test.serial(
  'a unit revoked by a process that died before giving it back is given back by the next pass, with its RELEASED row first, lag or not',
  async (t) => {
    const eventId = randomEventId();
    await stores.events.create({ id: eventId, name: eventId, totalStock: 1 });
    await stores.events.open(eventId);
    const left = randomEmail('left');
    const { ticket } = await reserve(eventId, left);
    // The API's send failed, it revoked the reservation, then died before MySQL heard of it.
    t.true(await stores.scripts.revoke(eventId, left, ticket));
    t.is(
      (await stores.scripts.apply(eventId, randomEmail('next'), Date.now())).kind,
      'sold-out',
      'until MySQL records the release, the unit is not handed out again',
    );
    await produceRaw(config, ['lag: a record nobody persisted']);

    const sweep = await releaseStaleReservations(stores, 60_000);
    t.deepEqual(
      sweep.released.map((r) => [r.person, r.ticket]),
      [[left, ticket]],
    );
    const rows = await stores.sequelize.query<{ person: string; status: string; ticket: string | number }>(
      'SELECT person, status, ticket FROM applications WHERE event_id = ?',
      { replacements: [eventId], type: QueryTypes.SELECT },
    );
    t.deepEqual(
      rows.map((r) => [r.person, r.status, Number(r.ticket)]),
      [[left, 'RELEASED', ticket]],
    );
    t.is(await stores.redis.get(stores.scripts.keys(eventId).remaining), '1');
    t.deepEqual(await releaseStaleReservations(stores, 60_000), { released: [], waiting: 0 }, 'nothing twice');
    await commitGroupToEnd(config);
  },
);
