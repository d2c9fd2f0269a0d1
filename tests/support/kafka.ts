import type { Config } from '../../core/platform/config.ts';
import { createKafka, producerConfig } from '../../core/adapters/kafka/client.ts';
import { testLog } from './system.ts';

/** How many messages a topic holds: the sum of its partitions' high watermarks. */
export async function topicSize(config: Config, topic = config.kafka.applicationsTopic): Promise<number> {
  const admin = createKafka({ ...config.kafka, log: testLog() }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function produceRaw(config: Config, values: (string | Buffer)[], topic = config.kafka.applicationsTopic) {
  const producer = createKafka({ ...config.kafka, log: testLog() }).producer(producerConfig);
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

/** The consumer group's offsets set to the topic's end: as if every record had been persisted. */
export async function commitGroupToEnd(config: Config): Promise<void> {
  const admin = createKafka({ ...config.kafka, log: testLog() }).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(config.kafka.applicationsTopic);
    await admin.setOffsets({
      groupId: config.kafka.groupId,
      topic: config.kafka.applicationsTopic,
      partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
    });
  } finally {
    await admin.disconnect();
  }
}
