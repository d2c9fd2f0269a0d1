/**
 * The production stack (docker-compose.prod.yml, deploy/nginx.conf, deploy/prometheus.yml,
 * deploy/prod.env.example) checked statically, with no Docker engine, against the code it runs:
 * core/platform/config.ts, the `terning` command, the API's ports and limits. Compose's variable substitution
 * is re-implemented here (its documented rules: ${X}, ${X:-d}, ${X-d}, ${X:?e}, ${X?e}, ${X:+r},
 * ${X+r}, $X, $$), so "compose refuses to start without the secrets" is checked by running it.
 */
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import ZSchema from 'z-schema';
import composeSpec from 'docker-compose/schema/compose-spec.json' with { type: 'json' };
import { loadConfig, type Config } from '../core/platform/config.ts';
import { buildProgram } from '../cli/main.ts';
import { BODY_LIMIT } from '../server/app.ts';
import { replicationFor } from '../core/adapters/kafka/client.ts';
import { CLUSTER_SETTINGS } from '../infra/kafka.ts';
import { HEARTBEAT_MS } from '../core/use-cases/participant/stock-watch.ts';
import { CONNECTING_HEADROOM } from '../server/stock-stream/process.ts';

// ---- reading the repo --------------------------------------------------------------------------

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

type Words = string | string[] | undefined;
type Env = Record<string, string>;

interface Service {
  image?: string;
  build?: unknown;
  entrypoint?: Words;
  command?: Words;
  profiles?: string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  ports?: (string | { target: number; published?: string | number; host_ip?: string })[];
  volumes?: (string | { source?: string; target: string })[];
  networks?: string[] | Record<string, unknown>;
  healthcheck?: { test?: Words };
  init?: boolean;
  restart?: string;
  stop_grace_period?: string;
  stop_signal?: string;
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  sysctls?: Record<string, string | number>;
  deploy?: { replicas?: number };
}

interface Compose {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const PROD_FILE = 'docker-compose.prod.yml';
const rawProd = read(PROD_FILE);
const parsedProd = parse(rawProd, { merge: true }) as Compose;

/** deploy/prod.env.example as name -> value; the secrets it leaves empty filled in as an operator would. */
function exampleEnv(): Env {
  const lines = read('deploy/prod.env.example')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const env = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  for (const [k, v] of Object.entries(env)) if (v === '') env[k] = `${k.toLowerCase().replace(/_/g, '')}0123456789abcdef0123456789abcdef`;
  return env;
}

// ---- Compose's variable substitution -----------------------------------------------------------

class MissingVariable extends Error {}

/** One string, substituted as Compose does. */
function substitute(text: string, env: Env): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (all, name?: string, op?: string, arg = '', bare?: string) => {
      if (all === '$$') return '$';
      if (bare) return env[bare] ?? '';
      const value = env[name!];
      const set = value !== undefined;
      const nonEmpty = set && value !== '';
      switch (op) {
        case undefined:
          return value ?? '';
        case ':-':
          return nonEmpty ? value : substitute(arg, env);
        case '-':
          return set ? value : substitute(arg, env);
        case ':+':
          return nonEmpty ? substitute(arg, env) : '';
        case '+':
          return set ? substitute(arg, env) : '';
        default: // ':?' and '?'
          if (op === ':?' ? nonEmpty : set) return value;
          throw new MissingVariable(`required variable ${name} is missing a value: ${arg}`);
      }
    },
  );
}

/** The whole file substituted, each `environment:` entry without a value taken from env or left out. */
function resolved(env: Env, raw = rawProd): Compose {
  const walk = (node: unknown, key?: string): unknown => {
    if (typeof node === 'string') return substitute(node, env);
    if (Array.isArray(node)) return node.map((n) => walk(n));
    if (node && typeof node === 'object') {
      const entries = Object.entries(node).flatMap(([k, v]): [string, unknown][] => {
        if (key === 'environment' && (v === null || v === undefined)) return env[k] === undefined ? [] : [[k, env[k]]];
        return [[k, walk(v, k)]];
      });
      return Object.fromEntries(entries);
    }
    return node;
  };
  return walk(parse(raw, { merge: true })) as Compose;
}

const prod = resolved(exampleEnv());
const services = prod.services;
const service = (name: string): Service => services[name] ?? {};

// ---- small helpers -----------------------------------------------------------------------------

const words = (w: Words): string[] => (Array.isArray(w) ? w.map(String) : w ? w.trim().split(/\s+/) : []);

function environmentOf(s: Service): Env {
  const entries = Array.isArray(s.environment)
    ? s.environment.map((line) => [line.split('=')[0], line.slice(line.indexOf('=') + 1)])
    : Object.entries(s.environment ?? {});
  return Object.fromEntries(entries.map(([k, v]) => [k, String(v ?? '')]));
}

const dependsOn = (s: Service): string[] => (Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {}));
const dependency = (s: Service, on: string) => (Array.isArray(s.depends_on) ? undefined : s.depends_on?.[on]);
const networksOf = (s: Service): string[] => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {}));

/** The services that run the `terning` command: built from ./Dockerfile with its entrypoint kept. */
const appServices = Object.keys(services).filter((n) => service(n).build !== undefined && service(n).entrypoint === undefined);
const subcommand = (name: string) => words(service(name).command)[0];
const runs = (sub: string) => appServices.filter((n) => subcommand(n) === sub);
const apis = runs('server');
const consumers = runs('consumer');
const stockStreams = runs('stock-stream');
const longRunning = [...apis, ...consumers, ...stockStreams];
/** The Kafka brokers: the services running the apache/kafka image as a server (kafka-init only runs a script). */
const brokers = Object.keys(services).filter((n) => service(n).image?.startsWith('apache/kafka:') && service(n).entrypoint === undefined);

const configOf = (name: string): Config => loadConfig(environmentOf(service(name)));

/** A published port as host address, host port and container port. */
function published(p: NonNullable<Service['ports']>[number]): { hostIp: string; hostPort: string; target: number } {
  if (typeof p !== 'string') return { hostIp: p.host_ip ?? '', hostPort: String(p.published ?? ''), target: p.target };
  const parts = p.split(':');
  const target = Number(parts.at(-1)!.split('/')[0]);
  return parts.length === 3
    ? { hostIp: parts[0], hostPort: parts[1], target }
    : { hostIp: '', hostPort: parts.length === 2 ? parts[0] : '', target };
}

/** The URL a `node -e "fetch('...')"`, curl or wget healthcheck asks. */
function healthcheckUrl(s: Service): URL | undefined {
  const m = words(s.healthcheck?.test)
    .join(' ')
    .match(/https?:\/\/[^\s'"`)]+/);
  return m ? new URL(m[0]) : undefined;
}

/** The env var names core/platform/config.ts reads (the keys of its zod schema), with their default when it is `int(N)`. */
function configSchema(): Map<string, string | undefined> {
  const schema = read('core/platform/config.ts').match(/const schema = z\.object\(\{([\s\S]*?)\n\}\);/);
  if (!schema) throw new Error('core/platform/config.ts: no `const schema = z.object({...});` found');
  return new Map([...schema[1].matchAll(/^\s+([A-Z][A-Z0-9_]*):\s*([\w(]\S*)/gm)].map((m) => [m[1], m[2].match(/^int\((\d+)\)/)?.[1]]));
}

/**
 * Names the code reads outside core/platform/config.ts (the CLI's TERNING_URL, dd-trace's switch, ...): every
 * upper-case name that appears in the sources the image runs. Looser than the schema, but a name the
 * code never mentions is surely read by nothing.
 */
function namesInCode(): Set<string> {
  const files = ['bin/terning.js', ...['cli', 'core', 'server', 'consumer', 'infra'].flatMap((dir) => tsFiles(dir))];
  return new Set(files.flatMap((f) => [...read(f).matchAll(/\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b/g)].map((m) => m[1])));
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => join(d.parentPath, d.name).slice(root.length));
}

/** Variables read by dependencies themselves, each kept only while its package is a runtime dependency. */
function dependencyVariables(): Set<string> {
  const deps = (JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies;
  const byPackage: Record<string, string[]> = {
    // dd-trace's own configuration (https://docs.datadoghq.com/tracing/trace_collection/library_config/nodejs/).
    'dd-trace': ['DD_AGENT_HOST', 'DD_ENV', 'DD_SERVICE', 'DD_VERSION', 'DD_TRACE_AGENT_PORT'],
    // The AWS SDK's default credential chain, used for SES when SES_ENDPOINT is unset.
    '@aws-sdk/client-sesv2': ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
  };
  return new Set(
    Object.entries(byPackage)
      .filter(([pkg]) => deps[pkg])
      .flatMap(([, names]) => names),
  );
}

// ---- nginx.conf --------------------------------------------------------------------------------

interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

/** nginx's syntax: words and quoted strings, `;` ends a directive, `{ }` hold a block, `#` comments. */
function parseNginx(text: string): Directive[] {
  const tokens = [...text.matchAll(/#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)/g)]
    .filter((m) => !m[0].startsWith('#'))
    .map((m) => ({ word: m[1] ?? m[2] ?? m[4], punct: m[3] }));
  let i = 0;
  const block = (): Directive[] => {
    const out: Directive[] = [];
    let words: string[] = [];
    while (i < tokens.length) {
      const t = tokens[i++];
      if (t.punct === ';') {
        out.push({ name: words[0], args: words.slice(1) });
        words = [];
      } else if (t.punct === '{') {
        out.push({ name: words[0], args: words.slice(1), block: block() });
        words = [];
      } else if (t.punct === '}') return out;
      else words.push(t.word!);
    }
    if (words.length) throw new Error(`nginx.conf: "${words.join(' ')}" is not ended by ;`);
    return out;
  };
  return block();
}

const nginx = parseNginx(read('deploy/nginx.conf'));
const all = (ds: Directive[], name: string): Directive[] => ds.filter((d) => d.name === name);
const one = (ds: Directive[], name: string): Directive | undefined => all(ds, name)[0];
const http = one(nginx, 'http')?.block ?? [];
const server = one(http, 'server')?.block ?? [];
const locations = all(server, 'location');
/**
 * The location block nginx picks for a path, in nginx's documented order: an exact `=` match; else
 * the longest prefix, taken at once if it is `^~`; else the first regex (`~`, or `~*` ignoring case)
 * in the file's order that matches; else that longest prefix.
 */
function locationFor(path: string): Directive | undefined {
  const exact = locations.find((l) => l.args[0] === '=' && l.args[1] === path);
  if (exact) return exact;
  const prefix = (l: Directive) => (l.args.length === 1 ? l.args[0] : l.args[0] === '^~' ? l.args[1] : undefined);
  const longest = locations
    .filter((l) => prefix(l)?.startsWith('/') && path.startsWith(prefix(l)!))
    .sort((a, b) => prefix(b)!.length - prefix(a)!.length)[0];
  if (longest?.args[0] === '^~') return longest;
  const regex = locations.find((l) => ['~', '~*'].includes(l.args[0]) && new RegExp(l.args[1], l.args[0] === '~*' ? 'i' : '').test(path));
  return regex ?? longest;
}
const proxied = (path: string) => Boolean(one(locationFor(path)?.block ?? [], 'proxy_pass'));
const upstreamName = (pass: string) => new URL(pass).hostname;
const upstreams = all(http, 'upstream');
/** The upstream block a path is proxied to. */
const upstreamFor = (path: string): Directive | undefined => {
  const pass = one(locationFor(path)?.block ?? [], 'proxy_pass')?.args[0];
  return pass ? upstreams.find((u) => u.args[0] === upstreamName(pass)) : undefined;
};
const apiUpstream = upstreamFor('/');
/** A service's open-files limit: its hard and soft nofile ulimit, 0 when none is set (Docker's default then). */
const nofile = (s: Service): { soft: number; hard: number } => {
  const n = s.ulimits?.nofile;
  return typeof n === 'number' ? { soft: n, hard: n } : { soft: Number(n?.soft ?? 0), hard: Number(n?.hard ?? 0) };
};

/** Sizes like 8k, 1m as bytes; seconds like 4s, 1m as seconds. */
const bytes = (size: string) =>
  Number(size.match(/^\d+/)![0]) * ({ k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[size.slice(-1).toLowerCase()] ?? 1);
const seconds = (time: string) =>
  Number(time.match(/^\d+/)![0]) * ({ ms: 0.001, s: 1, m: 60, h: 3600 }[time.match(/[a-z]+$/)?.[0] ?? 's'] ?? 1);

// ---- the compose file as a whole ---------------------------------------------------------------

test('the production compose file is a valid Compose file (the Compose spec JSON schema)', (t) => {
  // z-schema speaks draft-04; the spec's draft-07 keywords used here (type, properties,
  // patternProperties, oneOf, $ref, ...) are draft-04's too, so only its $schema is left out.
  const { $schema: _, ...schema } = composeSpec;
  for (const [file, doc] of [
    [PROD_FILE, prod],
    ['docker-compose.yml', parse(read('docker-compose.yml'), { merge: true })],
  ] as const) {
    const validator = new ZSchema({});
    const ok = validator.validate(doc, schema);
    t.true(ok, `${file}: ${JSON.stringify(validator.getLastErrors(), null, 2)}`);
  }
  const broken = structuredClone(prod) as unknown as { services: Record<string, Record<string, unknown>> };
  broken.services.nginx.restartt = 'always';
  t.false(new ZSchema({}).validate(broken, schema), 'the validator accepts an unknown key: it checks nothing');
});

test('it runs nginx, two APIs, two consumers, migrate, MySQL, Redis, three Kafka brokers and the SES emulator', (t) => {
  t.is(prod.name, 'terning-prod', "a project of its own: its volumes never mix with docker-compose.yml's");
  t.deepEqual(apis, ['api-1', 'api-2']);
  t.deepEqual(consumers, ['consumer-1', 'consumer-2']);
  t.deepEqual(runs('migrate'), ['migrate']);
  for (const name of ['nginx', 'mysql', 'redis', ...brokers, 'kafka-init', 'ses']) t.truthy(services[name], `no "${name}" service`);
  t.deepEqual(brokers, ['kafka-1', 'kafka-2', 'kafka-3']);
  t.true(service('mysql').image?.startsWith('mysql:8'), service('mysql').image);
  t.false('version' in prod);
});

test('every terning service runs a real terning subcommand with options it has', (t) => {
  const program = buildProgram();
  for (const name of appServices) {
    const [sub, ...flags] = words(service(name).command);
    if (sub === '--help') continue;
    const command = program.commands.find((c) => c.name() === sub);
    t.truthy(command, `${name}: "terning ${sub}" is not a terning command`);
    const known = command?.options.flatMap((o) => [o.long, o.short]) ?? [];
    for (const flag of flags.filter((f) => f.startsWith('-'))) t.true(known.includes(flag), `${name}: terning ${sub} has no ${flag}`);
  }
});

test('every depends_on names a service, and a required one is never left out by a profile', (t) => {
  for (const [name, s] of Object.entries(services)) {
    for (const on of dependsOn(s)) {
      t.truthy(services[on], `${name} depends on "${on}", which is not a service`);
      const theirs = services[on]?.profiles ?? [];
      const required = dependency(s, on)?.required !== false;
      if (required && theirs.length)
        t.true(
          theirs.some((p) => (s.profiles ?? []).includes(p)),
          `${name} requires "${on}", which runs only with profile ${theirs.join('/')}`,
        );
    }
  }
});

test('the APIs and consumers start after migrate and kafka-init, on a healthy MySQL and Redis; nginx after the APIs', (t) => {
  for (const name of longRunning) {
    const s = service(name);
    t.is(dependency(s, 'migrate')?.condition, 'service_completed_successfully', `${name}: migrate`);
    t.is(dependency(s, 'kafka-init')?.condition, 'service_completed_successfully', `${name}: kafka-init`);
    t.is(dependency(s, 'mysql')?.condition, 'service_healthy', `${name}: mysql`);
    t.is(dependency(s, 'redis')?.condition, 'service_healthy', `${name}: redis`);
  }
  t.is(dependency(service('migrate'), 'mysql')?.condition, 'service_healthy');
  for (const api of apis) t.is(dependency(service('nginx'), api)?.condition, 'service_healthy', `nginx waits for ${api}`);
});

// ---- secrets and settings ----------------------------------------------------------------------

test('the secrets are required: compose refuses to start without each, and none has a default', (t) => {
  const secrets = ['JWT_SECRET', 'ADMIN_KEY', 'PROOF_KEYS', 'MYSQL_PASSWORD', 'MYSQL_ROOT_PASSWORD', 'REDIS_PASSWORD'];
  for (const name of secrets) {
    const uses = [...rawProd.matchAll(new RegExp(`\\$\\{${name}([^}]*)\\}`, 'g'))].map((m) => m[1]);
    t.true(uses.length > 0, `${name} is not used`);
    for (const use of uses) t.true(use.startsWith(':?'), `\${${name}${use}}: a secret must be \${${name}:?...}`);
    const without = exampleEnv();
    delete without[name];
    t.throws(() => resolved(without), { instanceOf: MissingVariable, message: new RegExp(`variable ${name} `) });
    t.throws(() => resolved({ ...without, [name]: '' }), { instanceOf: MissingVariable }, `${name}= (empty) must be refused too`);
  }
  t.notThrows(() => resolved(exampleEnv()));
});

test('deploy/prod.env.example names every variable the file requires, and nothing the file does not use', (t) => {
  const example = exampleEnv();
  const required = new Set([...rawProd.matchAll(/\$\{([A-Z_][A-Z0-9_]*):\?/g)].map((m) => m[1]));
  for (const name of required) t.true(name in example, `${name} is required but not in deploy/prod.env.example`);
  const used = new Set([...rawProd.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));
  const passed = new Set(
    Object.values(parsedProd.services).flatMap((s) =>
      Object.entries(Array.isArray(s.environment) ? {} : (s.environment ?? {}))
        .filter(([, v]) => v === null)
        .map(([k]) => k),
    ),
  );
  const composeOwn = ['COMPOSE_PROFILES', 'COMPOSE_FILE'];
  for (const name of Object.keys(example))
    t.true(used.has(name) || passed.has(name) || composeOwn.includes(name), `${name} in the example is never used`);
  t.is(example.COMPOSE_FILE, PROD_FILE, 'with COMPOSE_FILE in .env, `docker compose` means the production stack');
});

test('every terning process runs in production with a valid configuration pointing at the compose services', (t) => {
  for (const name of appServices) {
    const config = configOf(name);
    t.is(config.env, 'production', name);
    t.is(config.jwt.secret, exampleEnv().JWT_SECRET, `${name}: JWT_SECRET from the environment`);
    t.is(config.adminKey, exampleEnv().ADMIN_KEY, `${name}: ADMIN_KEY from the environment`);
    t.is(new URL(config.mysqlUrl).hostname, 'mysql', name);
    t.is(new URL(config.redisUrl).hostname, 'redis', name);
    t.deepEqual(
      config.kafka.brokers.map((b) => b.split(':')[0]),
      brokers,
      `${name}: every broker, so that any two reach the cluster`,
    );
  }
});

test('terning services set only variables the code or its dependencies read', (t) => {
  const known = new Set([...configSchema().keys(), ...namesInCode(), ...dependencyVariables()]);
  t.true(configSchema().size > 20, `read only ${configSchema().size} names from core/platform/config.ts`);
  for (const name of appServices) {
    const names = Object.keys(parsedProd.services[name].environment ?? {});
    t.deepEqual(
      names.filter((v) => !known.has(v)),
      [],
      `${name} sets variables nothing reads`,
    );
  }
});

/** What an operator may need to tune on the APIs: sign-in's limits and the door's (docs/security.md). */
const TUNABLE = [
  'CODE_TTL_SECONDS',
  'CODE_MAX_ATTEMPTS',
  'CODE_MAX_ATTEMPTS_WITHOUT_CHALLENGE',
  'CODE_RESEND_SECONDS',
  'LIMIT_CODE_SENDS_PER_ADDRESS_PER_HOUR',
  'LIMIT_CODE_SENDS_PER_IP_PER_HOUR',
  'LIMIT_CODE_SENDS_PER_MINUTE',
  'LIMIT_IPV4_PREFIX',
  'LIMIT_IPV6_PREFIX',
  'LIMIT_FAILED_CODE_CHECKS_PER_IP_PER_HOUR',
  'LIMIT_ADMIN_FAILURES_PER_IP_PER_15_MINUTES',
  'LIMIT_APPLIES_PER_PERSON_PER_10_SECONDS',
  'LIMIT_STATUS_CHECKS_PER_PERSON_PER_MINUTE',
  'HTTP_MAX_CONNECTIONS',
  'HTTP_QUEUE_LIMIT',
  'HTTP_MAX_PIPELINED',
];

test("the APIs take sign-in's and the door's limits from .env, each defaulting to core/platform/config.ts's own", (t) => {
  t.true(apis.length > 0);
  for (const api of apis) {
    const written = environmentOf(parsedProd.services[api]!);
    const byDefault = environmentOf(service(api));
    for (const name of TUNABLE) {
      const m = /^\$\{([A-Z0-9_]+):-(\d+)\}$/.exec(written[name] ?? '');
      t.is(m?.[1], name, `${api}: ${name} is \${${name}:-<default>}, not ${JSON.stringify(written[name] ?? null)}`);
      if (!m) continue;
      const { [name]: _, ...without } = byDefault;
      t.deepEqual(loadConfig(byDefault), loadConfig(without), `${api}: ${name}'s default here, ${m[2]}, is config.ts's`);
      const set = environmentOf(resolved({ ...exampleEnv(), [name]: '7' }).services[api]!);
      t.is(set[name], '7', `${api}: ${name} set in .env reaches the API`);
      t.notDeepEqual(loadConfig(set), loadConfig(byDefault), `${api}: ${name}=7 changes the configuration`);
    }
  }
});

test('mail: the SES emulator in a rehearsal, AWS SES when SES_ENDPOINT is unset', (t) => {
  const example = exampleEnv();
  t.is(new URL(example.SES_ENDPOINT).hostname, 'ses', 'the example sends to the emulator');
  t.true(example.COMPOSE_PROFILES.split(',').includes('emulator'), 'the example runs the emulator it sends to');
  t.deepEqual(service('ses').profiles, ['emulator']);
  t.is(new URL(example.SES_ENDPOINT).port, words(service('ses').command).at(-1) ?? '', 'the emulator listens where SES_ENDPOINT points');
  for (const name of longRunning) t.is(dependency(service(name), 'ses')?.required, false, `${name} runs without the emulator`);

  const { SES_ENDPOINT: _, COMPOSE_PROFILES: __, ...real } = example;
  const aws = resolved({ ...real, AWS_ACCESS_KEY_ID: 'AKIA...', AWS_SECRET_ACCESS_KEY: 'secret' }).services;
  for (const name of longRunning) {
    const env = environmentOf(aws[name]);
    t.false('SES_ENDPOINT' in env, `${name}: SES_ENDPOINT must be left out, not empty (an empty one is an invalid URL)`);
    t.is(loadConfig(env).ses.endpoint, undefined, `${name} talks to AWS SES`);
    t.is(env.AWS_ACCESS_KEY_ID, 'AKIA...', `${name} gets the AWS credentials`);
  }
});

// ---- the APIs behind nginx ---------------------------------------------------------------------

test('nginx balances over both APIs, on the port they listen on', (t) => {
  const pass = one(locationFor('/api/event/apply')!.block!, 'proxy_pass')!.args[0];
  const upstream = upstreams.find((u) => u.args[0] === upstreamName(pass));
  t.truthy(upstream, `proxy_pass ${pass} names no upstream`);
  const servers = all(upstream!.block!, 'server').map((s) => s.args[0]);
  t.deepEqual([...servers].sort(), apis.map((api) => `${api}:${configOf(api).port}`).sort());
  for (const api of apis) t.is(configOf(api).host, '0.0.0.0', `${api} listens on every interface`);
  const balancing = upstream!.block!.map((d) => d.name).filter((n) => ['least_conn', 'ip_hash', 'hash', 'random'].includes(n));
  t.true(balancing.length === 0 || balancing[0] === 'least_conn', `least_conn or round robin, not ${balancing.join()}`);
  for (const path of ['/', '/api/auth/send-verification-code', '/api/event/status/stream', '/api/events/x/apply'])
    t.true(proxied(path), `${path} is not proxied`);
});

test('nginx keeps connections to the APIs alive, closing them before Node does', (t) => {
  const upstream = apiUpstream!.block!;
  t.true(Number(one(upstream, 'keepalive')?.args[0]) > 0, 'no keepalive pool');
  const nginxKeepAlive = seconds(one(upstream, 'keepalive_timeout')?.args[0] ?? '60s');
  for (const api of apis) {
    const nodeKeepAlive = configOf(api).http.keepAliveTimeoutMs;
    t.true(
      nginxKeepAlive * 1000 < nodeKeepAlive,
      `nginx keeps idle connections ${nginxKeepAlive}s, ${api} closes them after ${nodeKeepAlive} ms: a 502 race`,
    );
  }
  const root = locationFor('/')!.block!;
  t.deepEqual(one(root, 'proxy_http_version')?.args, ['1.1']);
  t.true(
    all(root, 'proxy_set_header').some((d) => d.args[0] === 'Connection' && d.args[1] === ''),
    'Connection "" is needed for keepalive',
  );
});

test("a draining API answers on past nginx's keepalive, and drains within its stop grace period", (t) => {
  const nginxKeepAlive = seconds(one(apiUpstream!.block!, 'keepalive_timeout')?.args[0] ?? '60s');
  t.true(
    all(locationFor('/')!.block!, 'proxy_next_upstream').some((d) => d.args.includes('error')),
    'a refused connection goes to the other API',
  );
  for (const api of apis) {
    const c = configOf(api);
    t.true(
      c.shutdownDelayMs > nginxKeepAlive * 1000,
      `${api}: SHUTDOWN_DELAY_MS ${c.shutdownDelayMs} ms, nginx keeps connections ${nginxKeepAlive} s: one may be cut under a request`,
    );
    const drainMs = c.shutdownDelayMs + c.http.requestTimeoutMs + c.http.keepAliveTimeoutMs;
    t.true(drainMs < seconds(service(api).stop_grace_period!) * 1000, `${api}: a drain takes up to ${drainMs} ms`);
  }
});

test('nginx limits connections per client address, generously, and answers the excess in the error shape', (t) => {
  const zone = all(http, 'limit_conn_zone').find((z) => z.args[0] === '$binary_remote_addr');
  t.truthy(zone, 'no limit_conn_zone keyed by the client address');
  const name = zone!.args[1]!.replace(/^zone=/, '').split(':')[0];
  const limit = all(server, 'limit_conn').find((l) => l.args[0] === name);
  t.truthy(limit, `no limit_conn on the zone ${name}`);
  t.true(Number(limit!.args[1]) >= 256, `limit_conn ${limit!.args[1]}: too few for the phones behind one carrier NAT address`);
  const status = one(server, 'limit_conn_status')?.args[0] ?? '503';
  const page = all(server, 'error_page').find((e) => e.args.includes(status));
  t.truthy(page, `nginx's own ${status} has no error_page in the error shape`);
  const answer = one(locations.find((l) => l.args[0] === page!.args.at(-1))?.block ?? [], 'return');
  t.is(answer?.args[0], status);
  t.regex(answer?.args[1] ?? '', /^\{"error":\{"code":"[A-Z_]+","message":/);
});

test('nginx passes the client address and the request id, and the APIs trust it', (t) => {
  const headers = new Map(all(locationFor('/')!.block!, 'proxy_set_header').map((d) => [d.args[0].toLowerCase(), d.args[1]]));
  // Overwritten, not appended: the one entry is nginx's view of the client, whatever the client sent.
  t.is(headers.get('x-forwarded-for'), '$remote_addr');
  const rid = headers.get('x-request-id') ?? '';
  const map = all(http, 'map').find((m) => m.args[1] === rid);
  t.truthy(map, `X-Request-Id is ${rid}, not a map of the caller's id`);
  t.is(map!.args[0], '$http_x_request_id', "the caller's X-Request-Id is passed through");
  t.is(one(map!.block!, 'default')?.args[0], '$request_id', 'nginx makes one when the caller sent none');
  for (const api of apis) t.is(configOf(api).trustProxy, 1, `${api}: TRUST_PROXY is the one proxy in front, nginx`);
});

test("nginx takes small bodies only, at least as large as the API's own limit", (t) => {
  const limit = bytes(one(server, 'client_max_body_size')?.args[0] ?? '1m');
  t.true(limit >= BODY_LIMIT, `client_max_body_size ${limit} < the API's ${BODY_LIMIT}: its 413 would never be seen`);
  t.true(limit <= 64 * 1024, `client_max_body_size ${limit} bytes`);
});

test('the admin API and /metrics never face the internet', (t) => {
  for (const api of apis) {
    const { adminPort, port } = configOf(api);
    t.truthy(adminPort, `${api}: no ADMIN_PORT, so the admin routes share the public port`);
    t.not(adminPort, port);
    for (const p of (service(api).ports ?? []).map(published).filter((p) => p.target === adminPort)) {
      t.is(p.hostIp, '127.0.0.1', `${api}: admin port published on ${p.hostIp || 'every address'}`);
    }
    const upstreamPorts = upstreams.flatMap((u) => all(u.block!, 'server')).map((s) => Number(s.args[0].split(':')[1]));
    t.false(upstreamPorts.includes(adminPort!), 'nginx proxies to the admin port');
  }
  for (const path of ['/api/admin/event', '/api/admin/events/x/stock', '/metrics', '/readyz']) {
    t.false(proxied(path), `nginx proxies ${path}`);
  }
  const everywhere = Object.entries(services).flatMap(([name, s]) =>
    (s.ports ?? [])
      .map(published)
      .filter((p) => !['127.0.0.1', '::1'].includes(p.hostIp))
      .map(() => name),
  );
  t.deepEqual([...new Set(everywhere)], ['nginx'], 'only nginx is published beyond the host');
  t.deepEqual(networksOf(service('nginx')), ['edge'], 'nginx reaches the APIs only');
  for (const name of ['mysql', 'redis', ...brokers, ...consumers])
    t.false(networksOf(service(name)).includes('edge'), `${name} is on nginx's network`);
});

test('nginx logs no query strings (result streams carry the token in ?access_token=)', (t) => {
  const formats = all(http, 'log_format');
  t.true(formats.length > 0);
  for (const f of formats) {
    const format = f.args.join(' ');
    for (const v of ['$request ', '$request"', '$request_uri', '$args', '$query_string', '$arg_'])
      t.false(format.includes(v), `log_format ${f.args[0]} logs ${v.trim()}`);
  }
  for (const log of all(http, 'access_log'))
    t.true(
      log.args[0] === 'off' || formats.some((f) => f.args[0] === log.args[1]),
      `access_log ${log.args.join(' ')} uses nginx's default format`,
    );
});

test('the nginx image is new enough for `resolve` in the upstreams', (t) => {
  const resolving = upstreams.filter((u) => all(u.block!, 'server').some((s) => s.args.includes('resolve')));
  if (!resolving.length) return t.pass();
  const [major, minor] = (service('nginx').image?.split(':')[1] ?? '').split(/[.-]/).map(Number);
  t.true(
    major > 1 || (major === 1 && minor >= 28) || (major === 1 && minor === 27),
    `${service('nginx').image}: \`resolve\` needs nginx 1.27.3+`,
  );
  t.truthy(one(http, 'resolver'), '`resolve` needs a resolver');
  for (const u of resolving) t.truthy(one(u.block!, 'zone'), `${u.args[0]}: \`resolve\` needs a zone`);
});

// ---- the stock streams behind nginx ------------------------------------------------------------

/** The paths `terning stock-stream` serves (server/stock-stream/request-head.ts), and ones it must not be sent. */
const STOCK_STREAM_PATHS = ['/api/events/x/stream', '/api/events/spring-gift_2026/stream', '/api/event/stream'];
const API_PATHS = [
  '/',
  '/api/event',
  '/api/events/x',
  '/api/event/apply',
  '/api/events/x/apply',
  '/api/event/status/stream',
  '/api/events/x/status/stream',
  '/api/events/x/stream/',
  '/api/events/x/y/stream',
  '/api/events/x/log/checkpoint',
];

test('nginx sends the stock streams to the stock stream process, and everything else to the APIs', (t) => {
  const stock = upstreamFor('/api/events/x/stream');
  t.truthy(stock, 'the stock stream is not proxied');
  t.not(stock, apiUpstream, 'the stock stream goes to the APIs');
  for (const path of STOCK_STREAM_PATHS)
    t.is(upstreamFor(path)?.args[0], stock?.args[0], `${path} does not go to the stock stream process`);
  for (const path of API_PATHS) t.is(upstreamFor(path)?.args[0], apiUpstream?.args[0], `${path} does not go to the APIs`);
  t.deepEqual(stockStreams, ['stock-stream'], 'no service runs `terning stock-stream`');
  const servers = all(stock?.block ?? [], 'server').map((s) => s.args[0]);
  t.deepEqual(
    servers,
    stockStreams.map((name) => `${name}:${configOf(name).stockStream.port}`),
    'nginx proxies to the port the stock stream process listens on (STOCK_STREAM_PORT)',
  );
  for (const name of stockStreams) t.is(configOf(name).host, '0.0.0.0', `${name} listens on every interface`);
  t.true(
    networksOf(service('nginx')).every((n) => stockStreams.every((name) => networksOf(service(name)).includes(n))),
    'nginx reaches it',
  );
  t.is(dependency(service('nginx'), 'stock-stream')?.condition, 'service_healthy', 'nginx waits for it');
});

test("the stock streams' location streams: HTTP/1.1, unbuffered, open past the heartbeats, logged without a query", (t) => {
  for (const path of STOCK_STREAM_PATHS) {
    const location = locationFor(path)?.block ?? [];
    t.deepEqual(one(location, 'proxy_http_version')?.args, ['1.1'], path);
    t.deepEqual(one(location, 'proxy_buffering')?.args, ['off'], `${path}: each frame goes out as it comes`);
    const readTimeout = seconds(one(location, 'proxy_read_timeout')?.args[0] ?? '60s');
    t.true(readTimeout * 1000 >= 3 * HEARTBEAT_MS, `${path}: proxy_read_timeout ${readTimeout} s, a heartbeat every ${HEARTBEAT_MS} ms`);
    // The http block's access_log, whose format logs no query (checked below), and no other.
    t.deepEqual(all(location, 'access_log'), [], path);
  }
});

test('the stock stream service runs `terning stock-stream`, healthy on /healthz, restarted, with files for its watchers', (t) => {
  t.deepEqual(stockStreams, ['stock-stream']);
  for (const name of stockStreams) {
    const s = service(name);
    const config = configOf(name);
    t.deepEqual(words(s.command), ['stock-stream'], name);
    const health = healthcheckUrl(s);
    t.is(health?.pathname, '/healthz', `${name}: no healthcheck on /healthz`);
    t.is(Number(health?.port), config.stockStream.port, `${name}: the healthcheck asks the port nginx sends to`);
    t.is(s.restart, 'unless-stopped', name);
    // Each watcher is a socket, and so is each connection on its way to a stream (its head unread).
    const files = nofile(s);
    const sockets = config.stockStream.maxWatchers + CONNECTING_HEADROOM;
    t.true(
      files.soft >= 100_000 && files.soft > sockets && files.hard >= files.soft,
      `${name}: nofile ${files.soft}/${files.hard}, for ${config.stockStream.maxWatchers} watchers (STOCK_STREAM_MAX_WATCHERS) and ${CONNECTING_HEADROOM} on their way`,
    );
    t.is(config.http.maxConnectionsPerNetwork, 0, `${name}: behind nginx every watcher comes from one address (TRUST_PROXY)`);
    t.true(networksOf(s).includes('backend'), `${name} reaches Redis and MySQL`);
  }
});

test("STOCK_STREAM_MAX_WATCHERS is taken from .env, defaulting to core/platform/config.ts's own", (t) => {
  for (const name of stockStreams) {
    t.is(configOf(name).stockStream.maxWatchers, loadConfig({}).stockStream.maxWatchers, `${name}: the default`);
    const set = environmentOf(resolved({ ...exampleEnv(), STOCK_STREAM_MAX_WATCHERS: '7' }).services[name]!);
    t.is(loadConfig(set).stockStream.maxWatchers, 7, `${name}: STOCK_STREAM_MAX_WATCHERS set in .env reaches it`);
  }
  t.true(stockStreams.length > 0);
});

/** What production is sized for: issue 22's 100,000 people watching an event's stock at once. */
const WATCHERS = 100_000;
/**
 * nginx's connections for one watcher: the page's stream, nginx's own to the stock stream process,
 * and, on the apply step, the page's keep-alive connection for its re-reads of the event every ~5 s.
 */
const NGINX_CONNECTIONS_PER_WATCHER = 3;

test('nginx and the stock stream processes have room for 100,000 watchers', (t) => {
  const processes = stockStreams.reduce((n, name) => n + (service(name).deploy?.replicas ?? 1), 0);
  const perProcess = Math.min(...stockStreams.map((name) => configOf(name).stockStream.maxWatchers));
  t.true(processes * perProcess >= WATCHERS, `${processes} stock stream processes of ${perProcess} watchers`);

  // Linux gives each of nginx's connections to one address and port a local port of its own, from
  // nginx's namespace's range (Linux's default: 32768-60999): that many per stock stream process.
  const stock = upstreamFor('/api/events/x/stream')!.block!;
  const [low, high] = String(service('nginx').sysctls?.['net.ipv4.ip_local_port_range'] ?? '32768 60999')
    .split(/\s+/)
    .map(Number);
  t.true(
    (high! - low! + 1) * processes >= WATCHERS,
    `${high! - low! + 1} local ports toward each of ${processes} processes: nginx can't open ${WATCHERS} streams`,
  );
  t.true(
    all(stock, 'server').every((s) => s.args.includes('resolve')),
    'the upstream follows every process the name resolves to, as they are scaled or recreated',
  );
  t.truthy(one(stock, 'least_conn'), 'a new stream goes to the process holding fewest');

  // worker_connections is per worker, and nothing makes the kernel share connections evenly between
  // the workers: each has room for all. A worker allocates its slots up front, so their count is
  // fixed, not one per core.
  const workers = one(nginx, 'worker_processes')?.args[0] ?? '1';
  t.regex(workers, /^\d+$/, `worker_processes ${workers}: a fixed count, each worker allocating every slot`);
  const connections = Number(one(one(nginx, 'events')?.block ?? [], 'worker_connections')?.args[0] ?? 512);
  const toApis = apis.reduce((n, api) => n + configOf(api).http.maxConnections, 0);
  t.true(
    connections >= NGINX_CONNECTIONS_PER_WATCHER * WATCHERS + 2 * toApis,
    `worker_connections ${connections}: ${WATCHERS} watchers hold ${NGINX_CONNECTIONS_PER_WATCHER * WATCHERS}, and the APIs' requests (${toApis} at most) two each`,
  );
  const rlimit = Number(one(nginx, 'worker_rlimit_nofile')?.args[0] ?? 0);
  t.true(rlimit > connections, `worker_rlimit_nofile ${rlimit}: a worker's connections are files, and so are its logs`);
  // Without CAP_SYS_RESOURCE a worker can't raise its limit past the container's hard one.
  const files = nofile(service('nginx'));
  t.true(files.soft >= rlimit && files.hard >= rlimit, `nginx's nofile ${files.soft}/${files.hard} < worker_rlimit_nofile ${rlimit}`);
});

// ---- health, shutdown --------------------------------------------------------------------------

test('the healthchecks ask /healthz or /readyz, on the port each process serves them on', (t) => {
  const schemaDefault = configSchema().get('METRICS_PORT');
  for (const name of [...longRunning, 'nginx']) {
    const url = healthcheckUrl(service(name));
    t.truthy(url, `${name}: no HTTP healthcheck`);
    t.true(['/healthz', '/readyz'].includes(url!.pathname), `${name}: ${url}`);
    t.is(url!.hostname, '127.0.0.1', name);
  }
  for (const api of apis) t.is(Number(healthcheckUrl(service(api))!.port), configOf(api).port, `${api}: the port nginx sends to`);
  for (const consumer of consumers) {
    // The consumer serves them on METRICS_PORT, 9464 unless set (from core/platform/config.ts once it reads it).
    const port = environmentOf(service(consumer)).METRICS_PORT ?? schemaDefault ?? '9464';
    t.is(healthcheckUrl(service(consumer))!.port, port, consumer);
  }
  t.is(healthcheckUrl(service('nginx'))!.pathname, '/healthz');
  t.is(one(locationFor('/healthz')!.block!, 'return')?.args[0], '200', 'nginx answers /healthz itself');
});

test('every long-running terning process has an init and time to drain on SIGTERM', (t) => {
  for (const name of [...longRunning, 'migrate']) {
    t.true(service(name).init, `${name}: init: true, so SIGTERM reaches node`);
  }
  for (const name of [...longRunning, 'nginx']) {
    const grace = service(name).stop_grace_period;
    t.truthy(grace, `${name}: no stop_grace_period (Docker's 10 s)`);
    t.true(seconds(grace!) >= 20, `${name}: ${grace}`);
  }
  t.is(service('nginx').stop_signal, 'SIGQUIT', 'SIGTERM stops nginx at once; SIGQUIT lets requests finish');
});

// ---- consumers, Kafka, Redis, MySQL ------------------------------------------------------------

test('both consumers are in one group; exactly one sends the winner emails', (t) => {
  const groups = new Set(consumers.map((c) => configOf(c).kafka.groupId));
  t.is(groups.size, 1, [...groups].join(', '));
  const senders = consumers.filter((c) => !words(service(c).command).includes('--no-emails'));
  t.is(senders.length, 1, `each sender sends SES_RATE_PER_SECOND; ${senders.length} senders would exceed it`);
});

test('Kafka runs three KRaft brokers, one quorum, each advertising the address the apps use', (t) => {
  const envs = brokers.map((b) => environmentOf(service(b)));
  const appBrokers = configOf(apis[0]).kafka.brokers;
  t.deepEqual(
    envs.map((e) => e.KAFKA_ADVERTISED_LISTENERS),
    appBrokers.map((b) => `PLAINTEXT://${b}`),
    'the apps reach each broker at the address it advertises',
  );
  t.deepEqual(
    envs.map((e) => e.KAFKA_NODE_ID),
    ['1', '2', '3'],
  );
  const voters = brokers.map((b, i) => `${i + 1}@${b}:${envs[i]!.KAFKA_LISTENERS.match(/CONTROLLER:\/\/:(\d+)/)?.[1]}`).join(',');
  for (const [i, env] of envs.entries()) {
    t.is(env.KAFKA_PROCESS_ROLES, 'broker,controller', brokers[i]);
    t.falsy(env.KAFKA_ZOOKEEPER_CONNECT);
    t.is(env.KAFKA_CONTROLLER_QUORUM_VOTERS, voters, `${brokers[i]}: every broker votes`);
    t.is(env.CLUSTER_ID, envs[0]!.CLUSTER_ID, `${brokers[i]}: one cluster`);
    t.is(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE, 'false', 'topics come from kafka-init only');
  }
  t.regex(envs[0]!.CLUSTER_ID ?? '', /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/, 'a Kafka cluster id: 16 bytes, base64url');
  const dev = parse(read('docker-compose.yml')) as Compose;
  for (const b of [...brokers, 'kafka-init'])
    t.is(service(b).image, dev.services.kafka.image, `${b}: the same broker as docker-compose.yml`);
});

test('every topic is on three brokers and a write counts once two hold it, as the code creates them', (t) => {
  const { factor, minInsync } = replicationFor(brokers.length);
  t.deepEqual({ factor, minInsync }, { factor: 3, minInsync: 2 });
  for (const b of brokers) {
    const env = environmentOf(service(b));
    t.is(env.KAFKA_DEFAULT_REPLICATION_FACTOR, String(factor), b);
    t.is(env.KAFKA_MIN_INSYNC_REPLICAS, String(minInsync), b);
    t.is(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, String(factor), `${b}: the consumer group's offsets too`);
    t.is(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR, String(factor), b);
    t.is(env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR, String(minInsync), b);
  }
  const script = words(service('kafka-init').command).join(' ');
  const creates = script.split(/(?=\$topics )/).filter((c) => c.includes('--create'));
  t.is(creates.length, 2);
  for (const c of creates) {
    t.true(c.includes(`--replication-factor ${factor}`), c);
    t.true(c.includes(`--config min.insync.replicas=${minInsync}`), c);
  }
  for (const b of brokers) t.is(dependency(service('kafka-init'), b)?.condition, 'service_healthy', `kafka-init waits for ${b}`);
});

test('a broker that stops answering is fenced as soon as in the cluster the fault suite measures', (t) => {
  for (const b of brokers) {
    const env = environmentOf(service(b));
    for (const [property, value] of Object.entries(CLUSTER_SETTINGS))
      t.is(env[`KAFKA_${property.toUpperCase().replace(/\./g, '_')}`], value, `${b}: ${property}`);
  }
});

test('the applications topic gets 4 partitions', (t) => {
  const { applicationsTopic, deadLetterTopic } = configOf(apis[0]).kafka;
  const script = words(service('kafka-init').command).join(' ');
  const created = [...script.matchAll(/--create --if-not-exists --topic (\S+) --partitions (\S+)/g)].map((m) => [m[1], m[2]]);
  t.deepEqual(created, [
    [applicationsTopic, '4'],
    [deadLetterTopic, '1'],
  ]);
  t.true(rawProd.includes('--partitions ${KAFKA_PARTITIONS:-4}'), 'the partitions come from KAFKA_PARTITIONS, 4 unless set');
  t.is(exampleEnv().KAFKA_PARTITIONS ?? '4', '4');
  t.true(script.includes('PartitionCount'), 'kafka-init checks the count of an existing topic');
});

test('Redis keeps its data (AOF, fsync every second), never evicts, and asks for the password the apps use', (t) => {
  const command = words(service('redis').command).join(' ');
  t.true(command.includes('--appendonly yes'), command);
  t.true(command.includes('--appendfsync everysec'), command);
  t.true(command.includes('--maxmemory-policy noeviction'), 'an evicted stock or decision key is a lost unit');
  const password = command.match(/--requirepass (\S+)/)?.[1] ?? '';
  t.truthy(password, 'Redis asks for no password');
  for (const name of appServices) t.is(decodeURIComponent(new URL(configOf(name).redisUrl).password), password, name);
  t.is(environmentOf(service('redis')).REDISCLI_AUTH, password, 'the healthcheck authenticates');
});

test('Redis runs a primary and two replicas that refuse writes cut off from their replicas, three Sentinels the apps follow, and a win waits for a replica', (t) => {
  const nodes = Object.keys(services).filter((n) => words(service(n).command)[0] === 'redis-server');
  const sentinels = Object.keys(services).filter((n) => words(service(n).command).join(' ').includes('redis-sentinel'));
  t.deepEqual(nodes, ['redis', 'redis-2', 'redis-3']);
  t.is(sentinels.length, 3);
  const flag = (name: string, f: string) => {
    const w = words(service(name).command);
    return w.includes(f) ? w[w.indexOf(f) + 1] : undefined;
  };
  const script = words(service(sentinels[0]!).command).join(' ');
  const downAfterMs = Number(/down-after-milliseconds terning (\d+)/.exec(script)?.[1]);
  t.true(script.includes('sentinel monitor terning redis 6379 2'), 'a majority of the three agree on the primary "redis" being down');
  for (const name of nodes) {
    const command = words(service(name).command).join(' ');
    t.true(command.includes('--appendonly yes') && command.includes('--maxmemory-policy noeviction'), `${name}: ${command}`);
    t.is(flag(name, '--min-replicas-to-write'), '1', `${name}: cut off from both replicas, it takes no write`);
    t.true(
      Number(flag(name, '--min-replicas-max-lag')) * 1000 < downAfterMs,
      `${name}: it stops taking writes before the Sentinels fail over`,
    );
    t.is(flag(name, '--masterauth'), flag(name, '--requirepass'), `${name}: a replica authenticates to its primary`);
    t.is(flag(name, '--replica-announce-ip'), name, `${name}: the Sentinels reach it by its name`);
    t.is(flag(name, '--replicaof'), name === 'redis' ? undefined : 'redis', name);
  }
  t.true(script.includes('$SENTINEL_NAME') && script.includes('$REDIS_PASSWORD'), 'each announces its name and authenticates to the nodes');
  for (const name of appServices) {
    const config = configOf(name);
    t.deepEqual(config.redisSentinels.map((x) => x.host).sort(), [...sentinels].sort(), `${name}: asks the Sentinels for the primary`);
    t.is(config.redisConfirmReplicas, 1, `${name}: a 202 waits for a replica to hold the confirm`);
  }
});

test('MySQL creates the user and database the apps connect with', (t) => {
  const env = environmentOf(service('mysql'));
  for (const name of appServices) {
    const url = new URL(configOf(name).mysqlUrl);
    t.is(url.username, env.MYSQL_USER, name);
    t.is(decodeURIComponent(url.password), env.MYSQL_PASSWORD, name);
    t.is(url.pathname.slice(1), env.MYSQL_DATABASE, name);
  }
  t.truthy(env.MYSQL_ROOT_PASSWORD);
});

test('MySQL, Redis, Kafka and Prometheus keep their data in named volumes', (t) => {
  const dirs = {
    mysql: '/var/lib/mysql',
    redis: '/data',
    'redis-2': '/data',
    'redis-3': '/data',
    ...Object.fromEntries(brokers.map((b) => [b, environmentOf(service(b)).KAFKA_LOG_DIRS])),
    prometheus: '/prometheus',
  };
  for (const [name, dir] of Object.entries(dirs)) {
    const mount = (service(name).volumes ?? [])
      .map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v))
      .find((v) => v.target === dir);
    t.truthy(mount, `${name}: nothing mounted at ${dir}`);
    t.true((mount?.source ?? '') in (prod.volumes ?? {}), `${name}: "${mount?.source}" is not a named volume`);
  }
  const brokerVolumes = brokers.map((b) => (service(b).volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[0] : v.source))[0]);
  t.is(new Set(brokerVolumes).size, brokers.length, `each broker its own volume: ${brokerVolumes.join(', ')}`);
});

test("Prometheus scrapes every API's admin port and every consumer's metrics port", (t) => {
  const config = parse(read('deploy/prometheus.yml')) as {
    scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
  };
  const targets = config.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
  const port = environmentOf(service(consumers[0])).METRICS_PORT ?? configSchema().get('METRICS_PORT') ?? '9464';
  t.deepEqual(targets.sort(), [...apis.map((a) => `${a}:${configOf(a).adminPort}`), ...consumers.map((c) => `${c}:${port}`)].sort());
  for (const c of config.scrape_configs) t.is(c.metrics_path ?? '/metrics', '/metrics');
  t.true(networksOf(service('prometheus')).includes('backend'));
  for (const p of (service('prometheus').ports ?? []).map(published)) t.is(p.hostIp, '127.0.0.1');
});
