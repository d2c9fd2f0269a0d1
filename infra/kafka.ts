import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fromRoot } from '../core/root.ts';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { listenHost } from './net.ts';
import { logFile, terningHome } from './paths.ts';
import { runLogged, spawnDetached } from './process.ts';
import type { Log, Service } from './service.ts';
import '../core/kafka/quiet-warnings.ts';
import { requireTools, type Tool } from './tools.ts';

/**
 * A real single-node Kafka 3.9.1 in KRaft mode (one JVM is both broker and controller), built
 * from the jars infra/kafka/pom.xml lists, since Maven Central is reachable and release
 * tarballs are not.
 */

const POM = fromRoot('infra', 'kafka', 'pom.xml');
const JAVA: Tool = { bin: 'java', pkg: 'openjdk-17-jre-headless' };
const MAVEN: Tool = { bin: 'mvn', pkg: 'maven' };

const brokers = () => (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);

/** The broker we run is the first in KAFKA_BROKERS; its controller listens on the next port. */
function ports() {
  const [first] = brokers();
  const at = first.lastIndexOf(':');
  const host = listenHost(first.slice(0, at));
  const port = Number(first.slice(at + 1));
  if (at < 0 || !Number.isInteger(port)) throw new Error(`KAFKA_BROKERS: expected host:port, got "${first}"`);
  return { host, port, controllerPort: port + 1 };
}

const dir = () => join(terningHome(), 'kafka');
const libs = () => join(dir(), 'libs');
const data = () => join(dir(), 'data');
const serverProperties = () => join(dir(), 'server.properties');
const log4jProperties = () => join(dir(), 'log4j.properties');
// Java expands the trailing * itself, so this works without a shell.
const classpath = () => `${libs()}/*`;
const log4jArg = () => `-Dlog4j.configuration=${pathToFileURL(log4jProperties()).href}`;

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
    '-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${libs()}`, '-DincludeScope=runtime',
  ]);
  writeFileSync(stamp, want);
  log(`kafka: jars ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function writeConfig(): void {
  const { host, port, controllerPort } = ports();
  mkdirSync(data(), { recursive: true });
  writeFileSync(serverProperties(), [
    '# Written by infra/kafka.ts on every start; edit that instead.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${data()}`,
    'num.partitions=1',
    // One broker: anything asking for more replicas than that could never be written.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'min.insync.replicas=1',
    // Consumers in tests join a group one at a time; waiting 3 s for more members only slows them.
    'group.initial.rebalance.delay.ms=0',
    // Topics are created on purpose (with their partition counts), never by a typo in a producer.
    'auto.create.topics.enable=false',
    '',
  ].join('\n'));
  writeFileSync(log4jProperties(), [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.RollingFileAppender',
    `log4j.appender.file.File=${logFile('kafka')}`,
    'log4j.appender.file.MaxFileSize=50MB',
    'log4j.appender.file.MaxBackupIndex=2',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka.request.logger=WARN',
    '',
  ].join('\n'));
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

export const kafka: Service = {
  name: 'kafka',
  marker: 'kafka.Kafka',
  // Maven only fetches the jars, on the first start (and again when infra/kafka/pom.xml changes).
  tools: [JAVA, MAVEN],
  startTimeoutMs: 60_000,
  stopTimeoutMs: 30_000,
  address: () => brokers().join(','),
  endpoint: () => ports(),

  async ping() {
    await withAdmin(0, (admin) => admin.listTopics());
  },

  async ready() {
    // A new broker creates __consumer_offsets only when a group first looks for its coordinator.
    // Asking here means the first real consumer joins at once rather than retrying through
    // "The group coordinator is not available" errors.
    await withAdmin(10, (admin) => admin.describeGroups(['terning-infra-ready']));
  },

  async start(log) {
    await ensureLibs(log);
    const { java } = await requireTools('kafka', [JAVA], log);
    writeConfig();
    if (!existsSync(join(data(), 'meta.properties'))) {
      const clusterId = newClusterId();
      log(`kafka: formatting ${data()} for cluster ${clusterId}`);
      await runLogged('kafka', java, ['-cp', classpath(), log4jArg(), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', serverProperties()]);
    }
    await spawnDetached('kafka', java, [
      '-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-Djava.awt.headless=true', log4jArg(),
      '-cp', classpath(), 'kafka.Kafka', serverProperties(),
    ]);
  },
};
