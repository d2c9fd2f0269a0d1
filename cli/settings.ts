import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { loadConfig, ConfigError, type Config } from '../core/platform/config.ts';
import { ACTOR_RULE, isValidActor } from '../core/use-cases/operator/actor.ts';
import { UserError, EXIT } from './errors.ts';

/** Where the operator's commands find the system: the server, its key, and the services behind it. */
export interface Settings {
  url: string;
  adminKey: string;
  actor: string;
  mysqlUrl: string;
  redisUrl: string;
  redisSentinels: Config['redisSentinels'];
  redisMasterName: string;
  kafka: Config['kafka'];
  defaultEventId: string;
  /** The config file that was read, if any. */
  file?: string;
}

/** What can be given on the command line; each wins over the environment and the config file. */
export interface SettingsFlags {
  config?: string;
  url?: string;
  adminKey?: string;
  actor?: string;
  mysqlUrl?: string;
  redisUrl?: string;
  kafkaBrokers?: string;
}

export const DEFAULT_CONFIG_FILE = 'terning.config.json';

const fileSchema = z
  .object({
    url: z.string().url().optional(),
    adminKey: z.string().min(1).optional(),
    actor: z.string().optional(),
    mysqlUrl: z.string().url().optional(),
    redisUrl: z.string().url().optional(),
    redisSentinels: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    redisMasterName: z.string().min(1).optional(),
    redisPrefix: z.string().min(1).optional(),
    kafkaBrokers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    kafkaTopic: z.string().min(1).optional(),
    kafkaDlqTopic: z.string().min(1).optional(),
    kafkaGroupId: z.string().min(1).optional(),
    defaultEventId: z.string().optional(),
  })
  .strict();

type FileSettings = z.infer<typeof fileSchema>;

/** The config file: --config, else TERNING_CONFIG, else ./terning.config.json when it exists. */
function readFile(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): { path?: string; values: FileSettings } {
  const named = flag ?? env.TERNING_CONFIG;
  const path = named ? resolve(cwd, named) : resolve(cwd, DEFAULT_CONFIG_FILE);
  if (!named && !existsSync(path)) return { values: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read the config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.usage);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`the config file ${path} is not JSON: ${(e as Error).message}`, EXIT.usage);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
    throw new UserError(`the config file ${path} has ${problems}`, EXIT.usage);
  }
  return { path, values: parsed.data };
}

const defined = (o: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, string>;

/** Flags > environment > config file > defaults, checked once, with errors that name the setting. */
export function resolveSettings(flags: SettingsFlags = {}, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings {
  const file = readFile(flags.config, env, cwd);
  const f = file.values;
  const fromFile = defined({
    ADMIN_KEY: f.adminKey,
    MYSQL_URL: f.mysqlUrl,
    REDIS_URL: f.redisUrl,
    REDIS_SENTINELS: Array.isArray(f.redisSentinels) ? f.redisSentinels.join(',') : f.redisSentinels,
    REDIS_MASTER_NAME: f.redisMasterName,
    REDIS_PREFIX: f.redisPrefix,
    KAFKA_BROKERS: Array.isArray(f.kafkaBrokers) ? f.kafkaBrokers.join(',') : f.kafkaBrokers,
    KAFKA_TOPIC: f.kafkaTopic,
    KAFKA_DLQ_TOPIC: f.kafkaDlqTopic,
    KAFKA_GROUP_ID: f.kafkaGroupId,
    DEFAULT_EVENT_ID: f.defaultEventId,
    TERNING_URL: f.url,
    TERNING_ACTOR: f.actor,
  });
  const fromFlags = defined({
    ADMIN_KEY: flags.adminKey,
    MYSQL_URL: flags.mysqlUrl,
    REDIS_URL: flags.redisUrl,
    KAFKA_BROKERS: flags.kafkaBrokers,
    TERNING_URL: flags.url,
    TERNING_ACTOR: flags.actor,
  });
  const merged = { ...fromFile, ...defined(env), ...fromFlags };
  let config: Config;
  try {
    config = loadConfig(merged);
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message, EXIT.usage);
    throw e;
  }
  const url = merged.TERNING_URL ?? `http://127.0.0.1:${config.port}`;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new UserError(`the server address "${url}" is not an http(s) URL (--url, TERNING_URL or "url" in the config file)`, EXIT.usage);
  }
  const actor = merged.TERNING_ACTOR ?? osUser();
  if (!isValidActor(actor)) {
    throw new UserError(
      `the actor "${actor}" is not a valid name: ${ACTOR_RULE} (--actor, TERNING_ACTOR or "actor" in the config file)`,
      EXIT.usage,
    );
  }
  return {
    url,
    adminKey: config.adminKey,
    actor,
    mysqlUrl: config.mysqlUrl,
    redisUrl: config.redisUrl,
    redisSentinels: config.redisSentinels,
    redisMasterName: config.redisMasterName,
    kafka: config.kafka,
    defaultEventId: config.defaultEventId,
    file: file.path,
  };
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
