import test from 'ava';
import type { Message, ProducerRecord } from 'kafkajs';
import { GroupCommitProducer, KafkaStalled } from '../core/adapters/kafka/group-commit.ts';

/**
 * The batching and deadline rules of the group-commit queue, on their own. The broker's side is a send
 * the test completes by hand (real Kafka is in every other test); what is checked here is only the
 * queue's bookkeeping: who goes together, who is failed, when.
 */
function handSend() {
  const calls: { record: ProducerRecord; done: () => void; fail: (e: Error) => void }[] = [];
  return {
    calls,
    send: (record: ProducerRecord) =>
      new Promise<never>((resolve, reject) => {
        calls.push({ record, done: () => resolve(undefined as never), fail: reject });
      }),
  };
}
const msg = (i: number): Message => ({ key: `k${i}`, value: `v${i}` });
const settle = () => new Promise((r) => setImmediate(r));

test('the sends of one moment go together; the next ones gather while one is in flight', async (t) => {
  const broker = handSend();
  const gc = new GroupCommitProducer(broker, 'topic');
  const first = [1, 2, 3].map((i) => gc.send(msg(i)));
  await settle();
  t.is(broker.calls.length, 1);
  t.is(broker.calls[0]!.record.messages.length, 3);
  const second = [4, 5].map((i) => gc.send(msg(i)));
  await settle();
  t.is(broker.calls.length, 1, 'one send in flight at a time');
  broker.calls[0]!.done();
  await Promise.all(first);
  await settle();
  t.is(broker.calls.length, 2);
  t.deepEqual(
    broker.calls[1]!.record.messages.map((m) => m.key),
    ['k4', 'k5'],
  );
  broker.calls[1]!.done();
  await Promise.all(second);
});

test('a send past its deadline fails its callers and those queued behind, new ones fail fast, and it recovers', async (t) => {
  const broker = handSend();
  const gc = new GroupCommitProducer(broker, 'topic', { deadlineMs: 100 });
  const stuck = gc.send(msg(1));
  await settle();
  const behind = gc.send(msg(2));
  await t.throwsAsync(stuck, { instanceOf: KafkaStalled });
  await t.throwsAsync(behind, { instanceOf: KafkaStalled });
  await t.throwsAsync(gc.send(msg(3)), { instanceOf: KafkaStalled }, 'no new waiting behind a stalled send');
  broker.calls[0]!.done();
  await settle();
  const after = gc.send(msg(4));
  await settle();
  t.is(broker.calls.length, 2);
  broker.calls[1]!.done();
  await after;
  t.pass('sends flow again once the broker answers');
});

test('a broker error fails that batch only; a full queue refuses at once', async (t) => {
  const broker = handSend();
  const gc = new GroupCommitProducer(broker, 'topic', { maxQueue: 2 });
  const a = gc.send(msg(1));
  await settle();
  const b = gc.send(msg(2));
  const c = gc.send(msg(3));
  await t.throwsAsync(gc.send(msg(4)), { instanceOf: KafkaStalled });
  broker.calls[0]!.fail(new Error('NOT_LEADER'));
  await t.throwsAsync(a, { message: 'NOT_LEADER' });
  await settle();
  broker.calls[1]!.done();
  await Promise.all([b, c]);
  t.is(broker.calls[1]!.record.messages.length, 2);
});

test('a batch packed into records of several partitions goes as one send per partition, at once; one refused fails the batch', async (t) => {
  const broker = handSend();
  // As core/adapters/kafka/application-records.ts packs them: one record per partition.
  const pack = (items: number[]): Message[] =>
    [...new Set(items.map((i) => i % 3))].map((partition) => ({ partition, value: items.filter((i) => i % 3 === partition).join(',') }));
  const gc = new GroupCommitProducer<number>(broker, 'topic', { pack, sizeOf: () => 10 });
  const sent = [1, 2, 3, 4, 5, 6].map((i) => gc.send(i));
  await settle();
  t.deepEqual(
    broker.calls.map((c) => c.record.messages.map((m) => [m.partition, m.value])),
    [[[1, '1,4']], [[2, '2,5']], [[0, '3,6']]],
    'each partition its own send: a retry of one goes to one broker',
  );
  broker.calls[0]!.done();
  broker.calls[2]!.done();
  broker.calls[1]!.fail(new Error('NOT_LEADER'));
  for (const p of sent) await t.throwsAsync(p, { message: 'NOT_LEADER' });
});
