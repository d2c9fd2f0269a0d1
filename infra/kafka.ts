import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { fromRoot } from '../core/platform/root.ts';
import { replicationFor } from '../core/adapters/kafka/client.ts';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { isLoopback, listenHost, portOpen } from './net.ts';
import { logFile, terningHome } from './paths.ts';
import { managedPid, runLogged, spawnDetached } from './process.ts';
import type { Log, Service } from './service.ts';
import '../core/adapters/kafka/quiet-warnings.ts';
import { requireTools, type Tool } from './tools.ts';

/**
 * A real Kafka 3.9.1 in KRaft mode, built from the jars infra/kafka/pom.xml lists, since Maven Central
 * is reachable and release tarballs are not. One broker per address of KAFKA_BROKERS on this machine:
 * the first alone (one JVM both broker and controller), or, with several, a cluster whose every node is
 * broker and controller (a quorum of them), topics replicated to three and written once two have them.
 */

const POM = fromRoot('infra', 'kafka', 'pom.xml');
const JAVA: Tool = { bin: 'java', pkg: 'openjdk-17-jre-headless' };
const MAVEN: Tool = { bin: 'mvn', pkg: 'maven' };

const brokers = () =>
  (process.env.KAFKA_BROKERS || '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);

export interface KafkaNode {
  /** Its pid file and log: "kafka" for the first, then "kafka-2", "kafka-3", ... */
  name: string;
  nodeId: number;
  host: string;
  port: number;
  /** Its controller listens on the next port. */
  controllerPort: number;
  dir: string;
}

/** The brokers terning runs: one per address of KAFKA_BROKERS when it lists several, else the first alone. */
export function kafkaNodes(): KafkaNode[] {
  const list = brokers();
  return (isLoopbackCluster(list) ? list : list.slice(0, 1)).map((address, i) => {
    const at = address.lastIndexOf(':');
    const port = Number(address.slice(at + 1));
    if (at < 0 || !Number.isInteger(port)) throw new Error(`KAFKA_BROKERS: expected host:port, got "${address}"`);
    const name = i === 0 ? 'kafka' : `kafka-${i + 1}`;
    return { name, nodeId: i + 1, host: listenHost(address.slice(0, at)), port, controllerPort: port + 1, dir: join(terningHome(), name) };
  });
}

/** Several brokers, all on this machine: terning runs them all, as one cluster. */
const isLoopbackCluster = (list: string[]) => list.length > 1 && list.every((b) => isLoopback(b.slice(0, b.lastIndexOf(':'))));

const libs = () => join(terningHome(), 'kafka', 'libs');
const data = (n: KafkaNode) => join(n.dir, 'data');
const serverProperties = (n: KafkaNode) => join(n.dir, 'server.properties');
const log4jProperties = (n: KafkaNode) => join(n.dir, 'log4j.properties');
// Java expands the trailing * itself, so this works without a shell.
const classpath = () => `${libs()}/*`;
const log4jArg = (n: KafkaNode) => `-Dlog4j.configuration=${pathToFileURL(log4jProperties(n)).href}`;

/** Another TERNING_HOME (a cluster's, the fault suite's) uses the jars this one fetched, if it has them. */
export function shareKafkaLibs(from: string, to: string): void {
  const fetched = join(from, 'kafka', 'libs');
  if (!existsSync(fetched) || existsSync(join(to, 'kafka', 'libs'))) return;
  mkdirSync(join(to, 'kafka'), { recursive: true });
  symlinkSync(fetched, join(to, 'kafka', 'libs'));
}

/** Copies Kafka's jars out of Maven once; a stamp of the pom's hash tells when to do it again. */
async function ensureLibs(log: Log): Promise<void> {
  const stamp = join(libs(), '.pom.sha256');
  const want = createHash('sha256').update(readFileSync(POM)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  const { mvn } = await requireTools('kafka', [JAVA, MAVEN], log);
  log(`kafka: fetching Kafka jars with Maven into ${libs()} (first run only)`);
  const started = Date.now();
  rmSync(libs(), { recursive: true, force: true });
  await runLogged('kafka-maven', mvn, [
    '-q',
    '-B',
    '-f',
    POM,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${libs()}`,
    '-DincludeScope=runtime',
  ]);
  writeFileSync(stamp, want);
  log(`kafka: jars ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * A cluster's brokers tell the controllers they live every second, and one silent for 4 s is fenced:
 * its partitions get new leaders (and it leaves their in-sync replicas, so acks=all stops waiting for
 * it). Kafka's 9 s default kept applies refused for 12 s after a broker was killed; a broker paused
 * (a long GC) past 4 s is fenced too, and rejoins when it wakes. docker-compose.prod.yml sets the same.
 */
export const CLUSTER_SETTINGS = {
  'broker.heartbeat.interval.ms': '1000',
  'broker.session.timeout.ms': '4000',
};

function writeConfig(n: KafkaNode, all: KafkaNode[]): void {
  // The internal topics are replicated as terning's own are (core/adapters/kafka/client.ts ensureTopics).
  const { factor, minInsync } = replicationFor(all.length);
  mkdirSync(data(n), { recursive: true });
  writeFileSync(
    serverProperties(n),
    [
      '# Written by infra/kafka.ts on every start; edit that instead.',
      'process.roles=broker,controller',
      `node.id=${n.nodeId}`,
      `controller.quorum.voters=${all.map((v) => `${v.nodeId}@${v.host}:${v.controllerPort}`).join(',')}`,
      `listeners=PLAINTEXT://${n.host}:${n.port},CONTROLLER://${n.host}:${n.controllerPort}`,
      `advertised.listeners=PLAINTEXT://${n.host}:${n.port}`,
      'inter.broker.listener.name=PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${data(n)}`,
      'num.partitions=1',
      `offsets.topic.replication.factor=${factor}`,
      `transaction.state.log.replication.factor=${factor}`,
      `transaction.state.log.min.isr=${minInsync}`,
      `default.replication.factor=${factor}`,
      `min.insync.replicas=${minInsync}`,
      // Consumers in tests join a group one at a time; waiting 3 s for more members only slows them.
      'group.initial.rebalance.delay.ms=0',
      // Topics are created on purpose (with their partition counts), never by a typo in a producer.
      'auto.create.topics.enable=false',
      ...(all.length > 1 ? Object.entries(CLUSTER_SETTINGS).map(([k, v]) => `${k}=${v}`) : []),
      '',
    ].join('\n'),
  );
  writeFileSync(
    log4jProperties(n),
    [
      'log4j.rootLogger=INFO, file',
      'log4j.appender.file=org.apache.log4j.RollingFileAppender',
      `log4j.appender.file.File=${logFile(n.name)}`,
      'log4j.appender.file.MaxFileSize=50MB',
      'log4j.appender.file.MaxBackupIndex=2',
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.request.logger=WARN',
      '',
    ].join('\n'),
  );
}

/** A Kafka cluster id: 16 random bytes, base64url without padding, as Uuid.randomUuid() makes. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // would be read as a command-line option
  }
}

async function withAdmin<T>(retries: number, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({
    clientId: 'terning-infra',
    brokers: brokers(),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries },
  }).admin();
  try {
    await admin.connect();
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The cluster id the nodes formatted so far share, or a new one. */
function clusterId(all: KafkaNode[]): string {
  for (const n of all) {
    const meta = join(data(n), 'meta.properties');
    const id = existsSync(meta) ? /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'))?.[1] : undefined;
    if (id) return id.trim();
  }
  return newClusterId();
}

/** Starts one node (its storage formatted on its first start); the others are left as they are. */
export async function startKafkaNode(name: string, log: Log): Promise<void> {
  const all = kafkaNodes();
  const n = all.find((x) => x.name === name);
  if (!n) throw new Error(`no Kafka node ${name}`);
  await ensureLibs(log);
  const { java } = await requireTools('kafka', [JAVA], log);
  writeConfig(n, all);
  if (!existsSync(join(data(n), 'meta.properties'))) {
    const id = clusterId(all);
    log(`${n.name}: formatting ${data(n)} for cluster ${id}`);
    await runLogged(n.name, java, [
      '-cp',
      classpath(),
      log4jArg(n),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      id,
      '-c',
      serverProperties(n),
    ]);
  }
  // Three brokers share this machine with everything else: each gets less heap than a lone one.
  const heap = all.length > 1 ? ['-Xms256m', '-Xmx512m'] : ['-Xms256m', '-Xmx768m'];
  await spawnDetached(n.name, java, [
    ...heap,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    log4jArg(n),
    '-cp',
    classpath(),
    'kafka.Kafka',
    serverProperties(n),
  ]);
}

const MARKER = 'kafka.Kafka';
const ours = () => kafkaNodes().some((n) => managedPid(n.name, MARKER) !== undefined);

/** Every node not running is started (a cluster's first start, or one that died since). */
async function startMissing(log: Log): Promise<void> {
  for (const n of kafkaNodes()) {
    if (managedPid(n.name, MARKER) !== undefined) continue;
    if (await portOpen(n.host, n.port)) throw new Error(`something else listens at ${n.host}:${n.port}, where ${n.name} goes`);
    log(`${n.name}: starting at ${n.host}:${n.port}`);
    await startKafkaNode(n.name, log);
  }
}

export const kafka: Service = {
  name: 'kafka',
  marker: MARKER,
  // Maven only fetches the jars, on the first start (and again when infra/kafka/pom.xml changes).
  tools: [JAVA, MAVEN],
  startTimeoutMs: 90_000,
  stopTimeoutMs: 30_000,
  members: () =>
    kafkaNodes()
      .slice(1)
      .map((n) => ({ name: n.name, marker: MARKER })),
  address: () => brokers().join(','),
  endpoint: () => {
    const [first] = kafkaNodes();
    return { host: first!.host, port: first!.port };
  },

  async ping() {
    await withAdmin(0, (admin) => admin.listTopics());
  },

  async ready(log) {
    const all = kafkaNodes();
    if (all.length > 1 && ours()) {
      await startMissing(log);
      // Topics are created with a replica on three brokers: all of them must have registered.
      await withAdmin(20, async (admin) => {
        const until = Date.now() + 90_000;
        while ((await admin.describeCluster()).brokers.length < all.length) {
          if (Date.now() > until) throw new Error(`fewer than ${all.length} brokers registered after 90 s`);
          await sleep(500);
        }
      });
    }
    // A new broker creates __consumer_offsets only when a group first looks for its coordinator.
    // Asking here means the first real consumer joins at once rather than retrying through
    // "The group coordinator is not available" errors. On a loaded machine the coordinator moves while
    // the topic's partitions get their leaders ("not the correct coordinator"): asked again, afresh.
    const until = Date.now() + 90_000;
    for (;;) {
      try {
        await withAdmin(10, (admin) => admin.describeGroups(['terning-infra-ready']));
        return;
      } catch (e) {
        // kafkajs wraps it, once its own retries ran out, in an error that says it is not retriable.
        if (Date.now() > until) throw e;
        await sleep(1_000);
      }
    }
  },

  start: (log) => (kafkaNodes().length > 1 ? startMissing(log) : startKafkaNode('kafka', log)),
};
