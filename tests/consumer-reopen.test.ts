import test from 'ava';
import { AssignerProtocol, type Consumer, type PartitionAssigner } from 'kafkajs';
import { startSystem, newEvent, randomEmail, testLog, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { applicationRows } from './support/db.ts';
import { createKafka } from '../core/adapters/kafka/client.ts';
import { ConsumerProcess } from '../consumer/process.ts';

/**
 * kafkajs gives up on a consumer (CRASH with restart: false) on an error it does not call retriable: the
 * random fault suite met one while a broker was killed, and the consumer process exited, a crash for
 * the supervisor to clean up. Here the error is a real one from the broker: a member of the group that
 * speaks another assignment protocol makes every join fail with INCONSISTENT_GROUP_PROTOCOL. While it
 * stays, the consumer crashes; once it leaves, the same process opens its consumer again and persists
 * what it missed, without exiting.
 */
const squatterProtocol: PartitionAssigner = () => ({
  name: 'squatter',
  version: 1,
  protocol: ({ topics }) => ({
    name: 'squatter',
    metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
  }),
  assign: async ({ members }) =>
    members.map(({ memberId }) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: {}, userData: Buffer.alloc(0) }),
    })),
});

let sys: System;
test.before(async () => {
  sys = await startSystem({ consumer: false });
});
test.after.always(async () => {
  await sys?.stop();
});

/** The event's rows as [person, status], once there are any (a minute at most). */
const persisted = (eventId: string, what: string) =>
  until(
    what,
    async () => {
      const r = await applicationRows(sys.config, eventId);
      return r.length ? r.map((x) => [x.person, x.status]) : undefined;
    },
    60_000,
  );

async function squat(): Promise<Consumer> {
  const squatter = createKafka({ ...sys.config.kafka, clientId: 'squatter', log: testLog() }).consumer({
    groupId: sys.config.kafka.groupId,
    partitionAssigners: [squatterProtocol],
  });
  const joined = new Promise<void>((resolve) => squatter.on(squatter.events.GROUP_JOIN, () => resolve()));
  await squatter.connect();
  await squatter.subscribe({ topic: sys.config.kafka.applicationsTopic, fromBeginning: true });
  await squatter.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => {} });
  await joined;
  return squatter;
}

test.serial('a consumer that kafkajs gave up on is opened again in the same process, and persists what it missed', async (t) => {
  const eventId = await newEvent(sys, 3);
  const squatter = await squat();
  const exits: Error[] = [];
  const consumer = new ConsumerProcess(sys.config, { sendEmails: false, onCrash: (e) => exits.push(e) }, testLog());
  try {
    await consumer.start();
    const winner = randomEmail('crash');
    const applied = await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(winner) });
    t.is(applied.status, 202);
    await until("the consumer crashed on the broker's refusal and was opened again", async () =>
      consumer.reopened >= 1 || exits.length ? true : undefined,
    );
    t.deepEqual(
      exits.map((e) => e.message),
      [],
      'no crash handed to the supervisor',
    );
    t.is((await applicationRows(sys.config, eventId)).length, 0, 'nothing persisted while the group refused it');
    await squatter.disconnect();
    t.deepEqual(await persisted(eventId, 'the winner persisted once the group took the consumer'), [[winner, 'WON']]);
    t.deepEqual(
      exits.map((e) => e.message),
      [],
    );
  } finally {
    await squatter.disconnect().catch(() => {});
    await consumer.stop();
  }
});

test.serial('a consumer that keeps crashing for START_WAIT_SECONDS is handed to the supervisor', async (t) => {
  const squatter = await squat();
  const exits: Error[] = [];
  const consumer = new ConsumerProcess(
    { ...sys.config, startWaitMs: 3_000 },
    { sendEmails: false, onCrash: (e) => exits.push(e) },
    testLog(),
  );
  try {
    await consumer.start();
    const started = Date.now();
    await until('the crashes handed on', async () => (exits.length ? true : undefined), 30_000);
    t.true(Date.now() - started >= 2_000, 'it tried again for the wait it was given first');
    t.true(consumer.reopened >= 1);
    t.regex(exits[0]!.message, /incompatible/);
  } finally {
    await squatter.disconnect().catch(() => {});
    await consumer.stop();
  }
});

test.serial('a consumer that stops fetching while records wait on its partitions is opened again, and persists them', async (t) => {
  const eventId = await newEvent(sys, 3);
  const exits: Error[] = [];
  const consumer = new ConsumerProcess(sys.config, { sendEmails: false, stallMs: 3_000, onCrash: (e) => exits.push(e) }, testLog());
  try {
    await consumer.start();
    await until('the consumer is in the group', async () =>
      (await http(consumer.opsUrl!, 'GET', '/readyz')).status === 200 ? true : undefined,
    );
    // A real stall: kafkajs told to fetch nothing more from the topic, as it did on its own after a broker kill.
    const kafkajs = (consumer as unknown as { consumer: Consumer }).consumer;
    kafkajs.pause([{ topic: sys.config.kafka.applicationsTopic }]);
    const winner = randomEmail('stall');
    t.is((await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(winner) })).status, 202);
    t.deepEqual(await persisted(eventId, 'the winner persisted by the consumer opened again'), [[winner, 'WON']]);
    t.true(consumer.reopened >= 1, 'it was opened again');
    t.deepEqual(
      exits.map((e) => e.message),
      [],
    );
  } finally {
    await consumer.stop();
  }
});
