import test from 'ava';
import { startSystem, newEvent, randomEmail, testLog, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { applicationRows } from './support/db.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { createKafka, producerConfig } from '../core/adapters/kafka/client.ts';
import { GroupCommitProducer } from '../core/adapters/kafka/group-commit.ts';
import { applicationRecords } from '../core/adapters/kafka/application-records.ts';
import { Applications } from '../core/use-cases/participant/apply.ts';
import type { SoldOutBoard } from '../core/adapters/redis/sold-out-board.ts';
import { ConsumerProcess } from '../consumer/process.ts';
import { AppError } from '../core/platform/errors.ts';
import { Receipts } from '../core/use-cases/proof/receipts.ts';
import { JwsSigner } from '../core/adapters/keys/jws.ts';
import { loadProofKeys } from '../core/adapters/keys/proof-keys.ts';
import type { Decision } from '../core/domain/decision.ts';

/**
 * A unit given back while its decision may be in Kafka must never be won twice. kafkajs may still write
 * a batch whose send the API already saw fail (its deadline is shorter than kafkajs's own retries), and
 * after Redis loses an event, every record below the restore's marker is persisted: the released person
 * and the one who took the unit after them would both win (S+1), unless the release is in MySQL first.
 */

let sys: System;
let stores: Stores;
test.before(async () => {
  sys = await startSystem({ consumer: false });
  stores = openStores(sys.config, testLog());
});
test.after.always(async () => {
  await stores?.close();
  await sys?.stop();
});

/** What the API sees when a batch outlives the group commit's deadline, though the broker wrote it. */
async function writtenThenFailed() {
  const producer = createKafka({ ...sys.config.kafka, log: testLog() }).producer(producerConfig);
  await producer.connect();
  const late = {
    send: async (r: Parameters<typeof producer.send>[0]) => {
      await producer.send(r);
      throw new Error('Request timed out (the batch was written all the same)');
    },
  };
  return {
    producer,
    batcher: new GroupCommitProducer<Decision>(late, sys.config.kafka.applicationsTopic, { pack: applicationRecords(1) }),
  };
}

const noBoard = { answer: () => undefined, noticed: () => {} } as unknown as SoldOutBoard;

test.serial(
  'a unit given back after a failed send is won once, even when the send was written and Redis then loses the event',
  async (t) => {
    const eventId = await newEvent(sys, 1);
    const { producer, batcher } = await writtenThenFailed();
    const keys = loadProofKeys(sys.config.proof);
    const flaky = new Applications(
      stores.scripts,
      batcher,
      stores.events,
      stores.records,
      testLog(),
      noBoard,
      new Receipts(new JwsSigner(keys), keys.nonceSecret),
    );
    const x = randomEmail('x');
    const refused = await flaky.apply(eventId, x, x).then(
      () => undefined,
      (e: unknown) => e,
    );
    await producer.disconnect();
    t.true(refused instanceof AppError && refused.status === 503, 'X is told to try again, not that they won');

    const y = randomEmail('y');
    const won = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(y) });
    t.is(won.status, 202, "Y takes the unit X's failed send gave back");

    // Redis loses the event while its records wait in Kafka; a consumer meets the loss and restores it.
    const k = stores.scripts.keys(eventId);
    await stores.redis.del(...Object.values(k));
    const consumer = new ConsumerProcess(sys.config, { sendEmails: false, retryBaseMs: 50 }, testLog());
    await consumer.start();
    try {
      await until(
        'the event restored',
        async () => ((await stores.redis.exists(k.restoring)) === 0 && (await stores.redis.exists(k.remaining)) === 1 ? true : undefined),
        60_000,
      );
      const rows = await applicationRows(sys.config, eventId);
      t.deepEqual(
        rows.filter((r) => r.status === 'WON').map((r) => r.person),
        [y],
        'one unit, one winner: Y',
      );
      t.is(Number(await stores.redis.get(k.remaining)), 0);
    } finally {
      await consumer.stop();
    }
  },
);
