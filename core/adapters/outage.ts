import { BaseError as SequelizeError, ConnectionError, TimeoutError } from 'sequelize';
import { setTimeout as sleep } from 'node:timers/promises';
import { StockStateMissing } from '../domain/errors.ts';
import type { Logger } from '../platform/log.ts';

const REDIS_OUTAGE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|MaxRetriesPerRequest|Stream isn't writeable|LOADING|READONLY|CLUSTERDOWN|OOM command not allowed|BUSY|MASTERDOWN|TRYAGAIN|NOREPLICAS/i;
const MYSQL_OUTAGE =
  /ECONN|ETIMEDOUT|EPIPE|PROTOCOL_CONNECTION_LOST|closed state|Deadlock|Lock wait|read-only|ER_OPTION_PREVENTS_STATEMENT|ER_CON_COUNT_ERROR|Too many connections/i;

/**
 * An outage: Redis or MySQL unreachable, full, read-only or failing over, or Redis state missing. It is
 * waited out (the consumers retry; the API answers 503 with Retry-After), never blamed on the request
 * or the message: dead-lettering an application because Redis was full would be wrong.
 */
export function isOutage(e: unknown): boolean {
  if (e instanceof ConnectionError || e instanceof TimeoutError || e instanceof StockStateMissing) return true;
  const msg = e instanceof Error ? `${e.name} ${e.message} ${(e as { code?: string }).code ?? ''}` : String(e);
  if (e instanceof SequelizeError) return MYSQL_OUTAGE.test(`${msg} ${(e as { original?: { code?: string } }).original?.code ?? ''}`);
  return REDIS_OUTAGE.test(msg);
}

const KAFKA_OUTAGE =
  /KafkaJS(Connection|NumberOfRetriesExceeded|RequestTimeout|BrokerNotFound|LockTimeout|NotImplemented)|Broker not connected|not the correct coordinator|LEADER_NOT_AVAILABLE|NOT_LEADER|ECONNREFUSED|ETIMEDOUT/i;

/** Kafka or its cluster unreachable or electing (a broker down or frozen): what a process waits out at start. */
export function isKafkaOutage(e: unknown): boolean {
  const err = e as { name?: string; message?: string; retriable?: boolean; cause?: unknown };
  const msg = `${err?.name ?? ''} ${err?.message ?? String(e)}`;
  return (
    KAFKA_OUTAGE.test(msg) ||
    (/^KafkaJS/.test(err?.name ?? '') && err?.retriable === true) ||
    (err?.cause !== undefined && isKafkaOutage(err.cause))
  );
}

/**
 * A process's start that outlasts an outage: a broker down, Redis failing over or MySQL restarting when
 * a supervisor (re)starts the process is waited out, starting again with back-off, for up to `ms`,
 * instead of exiting and being counted a crash. Anything else (a database not migrated, a bad setting)
 * fails at once. `undo` closes what a failed attempt opened; `stopped` ends the wait when asked to stop.
 */
export async function startOutlasting<T>(
  attempt: () => Promise<T>,
  undo: () => Promise<void>,
  opts: { ms: number; log: Logger; stopped: () => boolean },
): Promise<T> {
  const until = Date.now() + opts.ms;
  for (let n = 0; ; n++) {
    let started: T;
    try {
      started = await attempt();
    } catch (err) {
      await undo().catch(() => {});
      if (!(isOutage(err) || isKafkaOutage(err)) || Date.now() >= until || opts.stopped()) throw err;
      const wait = Math.min(10_000, 500 * 2 ** n);
      opts.log.warn({ err, attempt: n, retryInMs: wait }, 'a service is not reachable yet: starting again');
      // Waited in short steps: a stop() waits for the start to give up, and should not wait long.
      for (const end = Date.now() + wait; Date.now() < end && !opts.stopped();) await sleep(Math.min(100, end - Date.now()));
      if (opts.stopped()) throw err;
      continue;
    }
    // Asked to stop while this attempt was under way: what it opened is closed, not left running.
    if (opts.stopped()) {
      await undo().catch(() => {});
      throw new Error('asked to stop while starting');
    }
    return started;
  }
}
