import test from 'ava';
import { createTopics, testConfig, testLog } from './support/system.ts';
import { commitGroupToEnd, produceRaw } from './support/kafka.ts';
import { createKafka } from '../core/adapters/kafka/client.ts';
import { PersistenceWatch } from '../faults/progress.ts';

/**
 * The fault suites' watch of persistence (faults/progress.ts) judges a schedule stalled when records
 * wait with no commit at its end. Its judgement must rest on a reading taken at the end: a random run
 * judged a schedule stalled from a reading taken before the commit that settled it (seed 6033).
 */
test('records committed just before the watch stops are no stall; records left waiting are', async (t) => {
  const config = testConfig();
  await createTopics(config);
  const kafka = createKafka({ ...config.kafka, log: testLog() });
  await produceRaw(config, ['a', 'b', 'c']);

  // One reading, then none until the end: the commit falls after the loop's last reading, as it did
  // when a reading was slow under load.
  const settled = new PersistenceWatch(kafka, config.kafka.applicationsTopic, config.kafka.groupId, 60_000);
  settled.start();
  const since = Date.now();
  await new Promise((r) => setTimeout(r, 2_500));
  await commitGroupToEnd(config);
  const resumed = await settled.stop(since);
  t.log('resumed', resumed);
  t.not(resumed, null, 'the commit made before the end is seen');
  t.true(resumed! >= 2_000, `resumed ${resumed} ms after the fault, when the records were committed`);

  await produceRaw(config, ['d']);
  const stuck = new PersistenceWatch(kafka, config.kafka.applicationsTopic, config.kafka.groupId);
  stuck.start();
  await new Promise((r) => setTimeout(r, 2_500));
  t.is(await stuck.stop(Date.now()), null, 'a record waiting with no commit at the end is a stall');
});
