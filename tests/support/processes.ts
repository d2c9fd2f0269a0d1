import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../core/platform/config.ts';

const BIN = fileURLToPath(new URL('../../bin/terning.js', import.meta.url));

/** The environment that gives a spawned `terning` process the same random names as a test config. */
export function envFor(config: Config, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'test',
    HOST: config.host,
    PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    MYSQL_URL: config.mysqlUrl,
    REDIS_URL: config.redisUrl,
    REDIS_PREFIX: config.redisPrefix,
    KAFKA_BROKERS: config.kafka.brokers.join(','),
    KAFKA_TOPIC: config.kafka.applicationsTopic,
    KAFKA_DLQ_TOPIC: config.kafka.deadLetterTopic,
    KAFKA_GROUP_ID: config.kafka.groupId,
    DEFAULT_EVENT_ID: config.defaultEventId,
    ...extra,
  };
}

export interface Running {
  child: ChildProcess;
  output: string[];
  /** Resolves with the first log line matching, or rejects after the timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `terning <args>` as a real process of its own, keeping its output for the test to read. */
export function spawnTerning(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const waiting: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      for (const w of waiting.filter((x) => x.pattern.test(line))) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      const seen = output.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms; output:\n${output.slice(-20).join('\n')}`)),
          timeoutMs,
        );
        waiting.push({
          pattern,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
  };
}

/** Starts `terning server` and returns its URL (read from its "api listening" log line). */
export async function spawnServer(env: Record<string, string>): Promise<Running & { url: string }> {
  const p = spawnTerning(['server'], env);
  const line = await p.waitFor(/api listening/);
  return Object.assign(p, { url: JSON.parse(line).url as string });
}
