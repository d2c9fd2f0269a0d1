import { Command } from 'commander';
import { servicesUp, servicesDown, servicesStatus, terningHome, type ServiceName, type ServiceStatus } from '../../infra/index.ts';
import { clusterEnvironment } from '../../infra/cluster.ts';
import { shareKafkaLibs } from '../../infra/kafka.ts';
import { MissingTools } from '../../infra/tools.ts';
import { loadConfig } from '../../core/platform/config.ts';
import { createKafka, ensureTopics } from '../../core/adapters/kafka/client.ts';
import { createLogger } from '../../core/platform/log.ts';
import { UserError, EXIT } from '../errors.ts';

function print(list: ServiceStatus[], json?: boolean) {
  if (json) return console.log(JSON.stringify(list, null, 2));
  for (const s of list) {
    console.log(
      `${s.up ? 'up  ' : 'DOWN'}  ${s.name.padEnd(6)} ${s.address.padEnd(28)} ${s.managed ? 'started by terning' : 'external'}${s.detail ? `  ${s.detail}` : ''}`,
    );
  }
}

/** Creates terning's topics up front; the partition count comes from KAFKA_PARTITIONS (default 4: arrival order is the gate's, not the partition's). */
export async function createTopics(): Promise<void> {
  const config = loadConfig();
  const kafka = createKafka({ ...config.kafka, log: createLogger('terning-cli', 'warn') });
  const numPartitions = Number(process.env.KAFKA_PARTITIONS ?? 4);
  await ensureTopics(kafka, [
    { topic: config.kafka.applicationsTopic, numPartitions },
    { topic: config.kafka.deadLetterTopic, numPartitions: 1 },
  ]);
}

export async function bringUp(log: (line: string) => void = console.log, opts: { cluster?: boolean } = {}): Promise<ServiceStatus[]> {
  const up = (only?: ServiceName[]) =>
    servicesUp({ log, only }).catch((e: unknown) => {
      throw e instanceof MissingTools ? new UserError(e.message, EXIT.failed) : e;
    });
  let list: ServiceStatus[];
  if (opts.cluster) {
    list = await up(['mysql', 'ses']);
    const home = terningHome();
    useCluster();
    shareKafkaLibs(home, terningHome());
    list = [...list, ...(await up(['redis', 'kafka']))];
  } else {
    list = await up();
  }
  const down = list.filter((s) => !s.up);
  if (down.length) throw new UserError(`not up: ${down.map((s) => `${s.name} (${s.detail ?? 'see above'})`).join(', ')}`, EXIT.failed);
  await createTopics();
  return list;
}

/** Kafka and Redis as production runs them (infra/cluster.ts): the rest of the command works on those. */
function useCluster(): Record<string, string> {
  const env = clusterEnvironment();
  Object.assign(process.env, env);
  return env;
}

const CLUSTER_HELP =
  'three Kafka brokers (replication 3, min.insync.replicas 2) and Redis with two replicas and three Sentinels, in .terning/cluster';

export function servicesCommand(): Command {
  const cmd = new Command('services').description('bring the local Kafka, MySQL, Redis and SES emulator up or down');
  cmd
    .command('up')
    .description('start whatever is missing (idempotent) and create the Kafka topics')
    .option('--cluster', CLUSTER_HELP)
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean; cluster?: boolean }) => {
      print(await bringUp(o.json ? () => {} : console.log, o), o.json);
      if (o.cluster && !o.json) {
        const env = Object.entries(clusterEnvironment(process.env)).filter(([k]) => k !== 'TERNING_HOME');
        console.log(`\nterning server and consumer reach it with:\n  export ${env.map(([k, v]) => `${k}=${v}`).join(' ')}`);
      }
    });
  cmd
    .command('down')
    .description('stop what terning started; data is kept in .terning/')
    .option('--cluster', 'stop the cluster `up --cluster` started instead')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean; cluster?: boolean }) => {
      if (o.cluster) useCluster();
      print(await servicesDown({ log: o.json ? () => {} : console.log, only: o.cluster ? ['redis', 'kafka'] : undefined }), o.json);
    });
  cmd
    .command('status')
    .description('show each service, changing nothing')
    .option('--cluster', 'the cluster `up --cluster` started, beside MySQL and SES')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean; cluster?: boolean }) => {
      if (o.cluster) useCluster();
      const list = await servicesStatus();
      print(list, o.json);
      if (list.some((s) => !s.up)) process.exitCode = EXIT.failed;
    });
  return cmd;
}
