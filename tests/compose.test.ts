/**
 * docker-compose.yml and the Dockerfile are checked statically (no Docker engine needed), against
 * the code they run: core/platform/config.ts (settings, topic names), the `terning` command, and the native
 * broker of `terning services up` (infra/kafka.ts, infra/kafka/pom.xml). So they can't drift apart silently.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../core/platform/config.ts';
import { buildProgram } from '../cli/main.ts';
import { replicationFor } from '../core/adapters/kafka/client.ts';

// ---- reading the repo --------------------------------------------------------------------------

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

type Words = string | string[] | undefined;

interface Service {
  image?: string;
  build?: unknown;
  entrypoint?: Words;
  command?: Words;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: (string | { target: number; published?: string | number })[];
  volumes?: (string | { source?: string; target: string })[];
  healthcheck?: { test?: Words };
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const service = (name: string): Service => services[name] ?? {};

/** The services that run the `terning` command: built from ./Dockerfile with its entrypoint kept. */
const appServices = Object.keys(services).filter((name) => service(name).build !== undefined && service(name).entrypoint === undefined);

// ---- small helpers -----------------------------------------------------------------------------

/** A command, entrypoint or healthcheck as a list of words. */
const words = (w: Words): string[] => (Array.isArray(w) ? w.map(String) : w ? w.trim().split(/\s+/) : []);

/** What Compose substitutes when the variable is unset: `${X:-d}` and `${X-d}` give d, `${X}` gives ''. */
const withDefaults = (value: string): string => value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_, d?: string) => d ?? '');

/** A service's environment as name -> value, Compose's defaults applied. */
function environmentOf(s: Service): Record<string, string> {
  const entries = Array.isArray(s.environment)
    ? s.environment.map((line) => [line.split('=')[0], line.slice(line.indexOf('=') + 1)])
    : Object.entries(s.environment ?? {});
  return Object.fromEntries(entries.map(([k, v]) => [k, withDefaults(String(v ?? ''))]));
}

const dependsOn = (s: Service): string[] => (Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {}));
const condition = (s: Service, on: string): string | undefined => (Array.isArray(s.depends_on) ? undefined : s.depends_on?.[on]?.condition);

/** The env var names core/platform/config.ts reads: the keys of its zod schema. */
function configVariables(): string[] {
  const schema = read('core/platform/config.ts').match(/const schema = z\.object\(\{([\s\S]*?)\n\}\);/);
  if (!schema) throw new Error('core/platform/config.ts: no `const schema = z.object({...});` found');
  return [...schema[1].matchAll(/^\s+([A-Z][A-Z0-9_]*):\s*[\w(]/gm)].map((m) => m[1]);
}

/** The fixed lines of the server.properties infra/kafka.ts writes (those without `${...}`). */
function nativeKafkaSettings(): Map<string, string> {
  const block = read('infra/kafka.ts').match(/writeFileSync\(\s*serverProperties\(n\),\s*\[([\s\S]*?)\]\.join\(/);
  if (!block) throw new Error('infra/kafka.ts: no `writeFileSync(serverProperties(n), [...].join(...))` found');
  const lines = block[1].matchAll(/^\s*'([a-z][a-z0-9.]*)=([^'$]*)',?$/gm);
  return new Map([...lines].map((m) => [m[1], m[2]]));
}

/** The apache/kafka image reads `a.b.c` from KAFKA_A_B_C. */
const kafkaEnvName = (property: string) => `KAFKA_${property.toUpperCase().replace(/\./g, '_')}`;

function pomKafkaVersion(): string {
  const m = read('infra/kafka/pom.xml').match(/<artifactId>kafka_[\d.]+<\/artifactId>\s*<version>([^<]+)<\/version>/);
  if (!m) throw new Error('infra/kafka/pom.xml: no kafka_<scala> dependency found');
  return m[1];
}

const majorMinor = (version: string) => version.split('.').slice(0, 2).join('.');
const imageTag = (image = '') => image.slice(image.lastIndexOf(':') + 1);

/** Each `kafka-topics.sh --create` in a service's command: topic, partition count, --if-not-exists. */
function createdTopics(s: Service): { topic: string; partitions: string; ifNotExists: boolean }[] {
  const calls = words(s.command)
    .join(' ')
    .split(/(?=kafka-topics\.sh)/);
  return calls
    .filter((call) => call.includes('--create'))
    .map((call) => ({
      topic: call.match(/--topic\s+(\S+)/)?.[1] ?? '',
      partitions: withDefaults(call.match(/--partitions\s+(\S+)/)?.[1] ?? ''),
      ifNotExists: call.includes('--if-not-exists'),
    }));
}

/** host:port of a URL or of a bare `host:port`. */
function hostPort(address: string): { host: string; port: string } {
  const u = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: u.hostname, port: u.port };
}

const volumeMounts = (s: Service) =>
  (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target };
    const [source, target] = v.split(':');
    return { source, target };
  });

// ---- the Dockerfile ----------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerfile(): Instruction[] {
  const lines = read('Dockerfile')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/);
  return lines
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [keyword, ...rest] = l.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of each stage, FROM first. */
function stages(): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of dockerfile()) {
    if (i.keyword === 'FROM') out.push([]);
    out.at(-1)?.push(i);
  }
  return out;
}

/** The repo paths a COPY takes (not those copied from another stage). */
function copiedRepoPaths(): string[] {
  return dockerfile()
    .filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))
    .flatMap((i) =>
      i.args
        .split(/\s+/)
        .filter((w) => !w.startsWith('--'))
        .slice(0, -1),
    );
}

const dockerignored = () =>
  read('.dockerignore')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

/**
 * Follows the imports from bin/terning.js: the files it reaches (relative imports, `new URL(...)`
 * references, the migrations glob) and the packages it imports (type-only imports left out).
 */
function reachableFromBin(): { files: string[]; packages: Set<string> } {
  const specifiers = [
    /^\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+['"]([^'"]+)['"]/gm,
    /^\s*import\s+['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /new URL\(\s*['"`](\.{1,2}\/[^'"`$]*)/g,
  ];
  // fromRoot('core/adapters/redis/lua', ...): a path from the top of the repo, its leading literal parts.
  const fromRoot = /\bfromRoot\(\s*((?:['"][^'"]*['"]\s*,?\s*)+)/g;
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [join(root, 'bin/terning.js')];
  while (queue.length) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    if (!/\.[cm]?[jt]sx?$/.test(file)) continue;
    const text = readFileSync(file, 'utf8');
    for (const spec of specifiers.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]))) {
      if (spec.startsWith('.')) queue.push(...expand(resolve(dirname(file), spec)));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
    for (const m of text.matchAll(fromRoot)) {
      const parts = [...m[1]!.matchAll(/['"]([^'"]*)['"]/g)].map((p) => p[1]!);
      queue.push(...expand(join(root, ...parts)));
    }
  }
  return { files: [...files].map((f) => relative(root, f)), packages };
}

/** A path, a folder (a `./lua/${name}` URL) or a `dir/*.ts` glob, as the files it stands for. */
function expand(path: string): string[] {
  if (path.endsWith('*.ts'))
    return readdirSync(dirname(path))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(dirname(path), f));
  return existsSync(path) ? [path] : [];
}

// ---- the services ------------------------------------------------------------------------------

test('the compose file runs every part of the system', (t) => {
  for (const name of ['mysql', 'redis', 'kafka', 'kafka-init', 'ses', 'migrate', 'server', 'consumer']) {
    t.truthy(services[name], `no "${name}" service`);
  }
  t.false('version' in compose, 'the Compose spec has no `version:`');
});

test('the app services are migrate, server and consumer, each running a real terning subcommand', (t) => {
  t.deepEqual([...appServices].sort(), ['consumer', 'migrate', 'server']);
  const subcommands = buildProgram().commands.map((c) => c.name());
  for (const name of appServices) {
    const [command] = words(service(name).command);
    t.true(subcommands.includes(command), `${name}: "terning ${command}" is not a terning command (${subcommands.join(', ')})`);
    t.is(command, name, `${name} runs "terning ${command}"`);
  }
});

test('the image runs terning, and the SES emulator from the same image', (t) => {
  const bin = JSON.parse(dockerfile().findLast((i) => i.keyword === 'ENTRYPOINT')!.args) as string[];
  t.deepEqual(bin, ['node', 'bin/terning.js']);
  const ses = service('ses');
  t.is(ses.image, service('server').image, 'ses is built from the app image');
  const [, cli] = words(ses.entrypoint);
  t.true(existsSync(join(root, cli)), `${cli} is missing`);
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
  t.truthy(pkg.dependencies['aws-ses-v2-local'], 'the image has runtime dependencies only: the emulator must be one');
  t.deepEqual(words(ses.command), ['--host', '0.0.0.0', '--port', '8005']);
});

/** Where the `secrets` service writes the admin key and the token secret, in its volume. */
const SECRETS_DIR = '/var/lib/terning/secrets';

/** Runs the `secrets` service's script on this machine, with its directory moved to `dir`. */
function makeSecrets(dir: string): void {
  const s = service('secrets');
  if (words(s.entrypoint).join(' ') !== 'node -e') throw new Error('the secrets service no longer runs a `node -e` script');
  const script = (Array.isArray(s.command) ? s.command.join('\n') : String(s.command)).replaceAll(SECRETS_DIR, dir);
  execFileSync(process.execPath, ['-e', script]);
}

/** A service's configuration as the container sees it: its X_FILE secrets made by the `secrets` service's script. */
function configOf(name: string) {
  const dir = mkdtempSync(join(tmpdir(), 'terning-secrets-'));
  try {
    makeSecrets(dir);
    const env = environmentOf(service(name));
    for (const [k, v] of Object.entries(env)) if (k.endsWith('_FILE')) env[k] = v.replace(SECRETS_DIR, dir);
    return loadConfig(env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every app service gets the connection settings the code reads', (t) => {
  const known = configVariables();
  const connections = ['MYSQL_URL', 'REDIS_URL', 'KAFKA_BROKERS', 'SES_ENDPOINT'];
  for (const name of connections) t.true(known.includes(name), `core/platform/config.ts no longer reads ${name}`);
  for (const name of appServices) {
    const env = environmentOf(service(name));
    for (const variable of connections) t.truthy(env[variable], `${name}: ${variable} is not set`);
    for (const secret of ['JWT_SECRET', 'ADMIN_KEY']) {
      const file = env[`${secret}_FILE`];
      t.truthy(file, `${name}: ${secret}_FILE is not set`);
      const mount = volumeMounts(service(name)).find((v) => file!.startsWith(`${v.target}/`));
      t.is(mount?.source, 'secrets', `${name}: ${file} is not in the secrets volume`);
    }
  }
});

test('nobody reading docker-compose.yml gets a key: each is made at the first start, kept, and the ports are bound to 127.0.0.1', (t) => {
  const raw = read('docker-compose.yml');
  for (const known of ['terning-dev-admin-key', 'terning-dev-secret-change-me-in-production'])
    t.false(raw.includes(known), `${known} is in the file`);
  for (const name of appServices) {
    const config = configOf(name);
    t.regex(config.adminKey, /^[0-9a-f]{64}$/, `${name}: the admin key is the one made at the first start`);
    t.regex(config.jwt.secret, /^[0-9a-f]{64}$/, `${name}: the token secret too`);
    t.true(
      environmentOf(service(name)).JWT_SECRET === '' && environmentOf(service(name)).ADMIN_KEY === '',
      `${name}: set in the environment they win; unset, nothing`,
    );
  }
  t.deepEqual(volumeMounts(service('secrets')), [{ source: 'secrets', target: SECRETS_DIR }]);
  t.true('secrets' in (compose.volumes ?? {}), 'a named volume: the keys survive a restart');
  for (const name of appServices) t.is(condition(service(name), 'secrets'), 'service_completed_successfully', `${name} waits for its keys`);

  const dir = mkdtempSync(join(tmpdir(), 'terning-secrets-'));
  try {
    makeSecrets(dir);
    const first = readFileSync(join(dir, 'admin-key'), 'utf8');
    t.is(statSync(join(dir, 'admin-key')).mode & 0o777, 0o600, 'readable by its owner only');
    makeSecrets(dir);
    t.is(readFileSync(join(dir, 'admin-key'), 'utf8'), first, 'a restart keeps the key');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [name, port] of [
    ['server', 3000],
    ['ses', 8005],
  ] as const) {
    const published = (service(name).ports ?? []).map((p) => withDefaults(String(p)));
    t.deepEqual(published, [`127.0.0.1:${port}:${port}`], `${name}: published on this machine only`);
  }
});

test('app services set only variables core/platform/config.ts knows', (t) => {
  const known = configVariables();
  t.true(known.length > 20, `read only ${known.length} names from core/platform/config.ts`);
  for (const name of appServices) {
    const unknown = Object.keys(environmentOf(service(name))).filter((v) => !known.includes(v));
    t.deepEqual(unknown, [], `${name} sets variables core/platform/config.ts never reads`);
  }
});

test('every app service has a valid configuration that points at the compose services, not at 127.0.0.1', (t) => {
  for (const name of appServices) {
    const config = configOf(name);
    const addresses = {
      mysql: config.mysqlUrl,
      redis: config.redisUrl,
      kafka: config.kafka.brokers.join(),
      ses: config.ses.endpoint ?? '',
    };
    for (const [target, address] of Object.entries(addresses)) {
      t.is(hostPort(address).host, target, `${name}: ${address} is not the "${target}" service`);
    }
  }
});

test('the server listens on every interface, publishes its port and checks its health there', (t) => {
  const server = service('server');
  const config = configOf('server');
  t.is(config.host, '0.0.0.0');
  t.true(
    (server.ports ?? []).some((p) => String(p).endsWith(`:${config.port}`)),
    `port ${config.port} is not published`,
  );
  t.true(words(server.healthcheck?.test).join(' ').includes(`127.0.0.1:${config.port}/readyz`));
});

test('the server and the consumer wait for the schema, the topics, Redis and the SES emulator', (t) => {
  for (const name of ['server', 'consumer']) {
    const s = service(name);
    t.is(condition(s, 'migrate'), 'service_completed_successfully', `${name}: migrate`);
    t.is(condition(s, 'kafka-init'), 'service_completed_successfully', `${name}: kafka-init`);
    t.is(condition(s, 'redis'), 'service_healthy', `${name}: redis`);
    t.truthy(condition(s, 'ses'), `${name}: ses`);
  }
  t.is(condition(service('migrate'), 'mysql'), 'service_healthy');
});

test('every depends_on names a service of the file', (t) => {
  for (const [name, s] of Object.entries(services)) {
    for (const on of dependsOn(s)) t.truthy(services[on], `${name} depends on "${on}", which is not a service`);
  }
});

// ---- Kafka, Redis, MySQL -----------------------------------------------------------------------

test('kafka-init creates the topics core/platform/config.ts names by default, once Kafka is healthy', (t) => {
  const { applicationsTopic, deadLetterTopic } = loadConfig({}).kafka;
  const init = service('kafka-init');
  t.deepEqual(createdTopics(init), [
    { topic: applicationsTopic, partitions: '4', ifNotExists: true },
    { topic: deadLetterTopic, partitions: '1', ifNotExists: true },
  ]);
  t.true(
    words(init.command).join(' ').includes('--partitions ${KAFKA_PARTITIONS:-4}'),
    'the partitions come from KAFKA_PARTITIONS, as in `terning services up`',
  );
  t.is(condition(init, 'kafka'), 'service_healthy');
});

test('the Kafka image is the version the native broker runs', (t) => {
  const native = majorMinor(pomKafkaVersion());
  for (const name of ['kafka', 'kafka-init']) {
    const image = service(name).image ?? '';
    t.true(image.startsWith('apache/kafka:'), `${name}: ${image}`);
    t.is(majorMinor(imageTag(image)), native, `${name} runs ${image}; infra/kafka/pom.xml has ${pomKafkaVersion()}`);
  }
});

test('the Kafka broker is configured like the native one', (t) => {
  const env = environmentOf(service('kafka'));
  const native = nativeKafkaSettings();
  t.true(native.has('auto.create.topics.enable'), 'read no settings from infra/kafka.ts');
  for (const [property, value] of native) {
    if (property === 'log.dirs') continue;
    t.is(env[kafkaEnvName(property)], value, `${kafkaEnvName(property)} (${property} in infra/kafka.ts)`);
  }
  t.is(
    env.KAFKA_ADVERTISED_LISTENERS,
    `PLAINTEXT://${environmentOf(service('server')).KAFKA_BROKERS}`,
    'the apps reach the broker at the address it advertises',
  );
  // What the native broker writes from its node and the cluster's size, for one broker.
  const { factor, minInsync } = replicationFor(1);
  t.like(env, {
    KAFKA_NODE_ID: '1',
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: String(factor),
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: String(factor),
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: String(minInsync),
    KAFKA_MIN_INSYNC_REPLICAS: String(minInsync),
  });
  t.true(
    words(service('kafka').healthcheck?.test).join(' ').includes('/opt/kafka/bin/kafka-topics.sh --bootstrap-server localhost:9092 --list'),
  );
});

test('redis keeps its data: appendonly, fsync every second', (t) => {
  const command = words(service('redis').command).join(' ');
  t.true(command.includes('--appendonly yes'), command);
  t.true(command.includes('--appendfsync everysec'), command);
});

test('mysql, redis and kafka keep their data in named volumes', (t) => {
  const dataDirs = { mysql: '/var/lib/mysql', redis: '/data', kafka: environmentOf(service('kafka')).KAFKA_LOG_DIRS };
  for (const [name, dir] of Object.entries(dataDirs)) {
    const mount = volumeMounts(service(name)).find((v) => v.target === dir);
    t.truthy(mount, `${name}: nothing mounted at ${dir}`);
    t.true(mount!.source in (compose.volumes ?? {}), `${name}: "${mount?.source}" is not a named volume`);
  }
});

test('mysql lets terning in as root with the password the app services use', (t) => {
  const env = environmentOf(service('mysql'));
  const url = new URL(environmentOf(service('migrate')).MYSQL_URL);
  t.is(url.username, 'root', 'terning migrate creates the database, which needs root');
  if (url.password) t.is(env.MYSQL_ROOT_PASSWORD, decodeURIComponent(url.password));
  else t.is(env.MYSQL_ALLOW_EMPTY_PASSWORD, 'yes');
  t.is(env.MYSQL_DATABASE, url.pathname.slice(1));
});

// ---- the Dockerfile ----------------------------------------------------------------------------

test('the Dockerfile builds in stages and runs as a user that is not root', (t) => {
  const all = stages();
  t.true(all.length >= 2, `${all.length} FROM`);
  const user = all.at(-1)!.findLast((i) => i.keyword === 'USER')?.args;
  t.truthy(user, 'the final stage sets no USER');
  t.false(['root', '0'].includes(user!.split(':')[0]), `USER ${user}`);
});

test('every repo path the Dockerfile copies exists and is not dockerignored', (t) => {
  const paths = copiedRepoPaths();
  const ignored = dockerignored();
  t.true(paths.includes('package-lock.json'), 'npm ci needs the lockfile');
  for (const path of paths) {
    t.true(existsSync(join(root, path)), `COPY ${path}: not in the repo`);
    // git keeps no empty folders, so a fresh clone would not have one and the build would fail.
    if (existsSync(join(root, path)) && statSync(join(root, path)).isDirectory())
      t.not(readdirSync(join(root, path)).length, 0, `COPY ${path}: an empty folder`);
    t.false(ignored.includes(path), `COPY ${path}: excluded by .dockerignore`);
  }
});

test('the image holds every folder the terning command reads, and every package it imports is a runtime dependency', (t) => {
  const { files, packages } = reachableFromBin();
  const copied = new Set(copiedRepoPaths());
  // node_modules comes from `npm ci` in the image (bin/terning.js names node_modules/node for old Nodes).
  const folders = new Set(files.map((f) => f.split('/')[0]).filter((f) => f !== 'node_modules'));
  t.true(folders.has('migrations'), 'did not follow the migrations glob');
  for (const folder of folders) t.true(copied.has(folder), `${folder}/ is used by the terning command but not copied into the image`);
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
  for (const name of packages)
    t.truthy(pkg.dependencies[name], `"${name}" is imported at run time but is not in dependencies (the image omits devDependencies)`);
});

test('.dockerignore keeps node_modules and local state out of the build', (t) => {
  const ignored = dockerignored();
  for (const entry of ['node_modules', '.terning', '.git']) t.true(ignored.includes(entry), `${entry} is not in .dockerignore`);
});
