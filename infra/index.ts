import { kafka } from './kafka.ts';
import { mysqlService } from './mysql.ts';
import { errorMessage, isLoopback, portOpen, waitUntil } from './net.ts';
import { logFile } from './paths.ts';
import { logTail, managedPid, stopManaged, withLock } from './process.ts';
import { redis } from './redis.ts';
import type { Log, Service, ServiceName } from './service.ts';
import { ses } from './ses.ts';
import { requireTools, type Tool } from './tools.ts';

export type { ServiceName } from './service.ts';
export { readSesEmails, type SesStoredEmail } from './ses.ts';
export { databaseNames } from './mysql.ts';
export { REDIS_SERVER, REDIS_SENTINEL } from './redis.ts';
export { terningHome } from './paths.ts';

export interface ServiceStatus {
  name: ServiceName;
  up: boolean;
  address: string;
  /** Started by terning (a live process behind its pid file), as opposed to one already running. */
  managed: boolean;
  detail?: string;
}

const SERVICES: Record<ServiceName, Service> = { mysql: mysqlService, redis, kafka, ses };
const ALL: ServiceName[] = ['mysql', 'redis', 'kafka', 'ses'];

interface Options {
  only?: ServiceName[];
  log?: Log;
}

/**
 * Makes every selected service answer: one that already answers at its address is used as it is;
 * otherwise terning starts its own under $TERNING_HOME. Safe to call again at any time. What the
 * ones to start need from the machine is installed first, all at once (as root; anyone else is stopped
 * before anything starts, with the one command to run). Services come up in parallel; if any fails,
 * the error names each failure (the others are left running).
 */
export async function servicesUp(opts: Options = {}): Promise<ServiceStatus[]> {
  const log = opts.log ?? (() => {});
  const services = selected(opts.only);
  const answering = await Promise.all(
    services.map((s) =>
      s.ping().then(
        () => true,
        () => false,
      ),
    ),
  );
  const toStart = services.filter((_, i) => !answering[i]);
  await requireTools(
    `starting ${toStart.map((s) => s.name).join(', ')}`,
    toStart.flatMap((s) => s.tools),
    log,
  );
  return settleAll(services, (s) => bringUp(s, log));
}

/** Stops what terning started (SIGTERM, then SIGKILL); services it did not start are left alone. Data is kept. */
export async function servicesDown(opts: Options = {}): Promise<ServiceStatus[]> {
  const log = opts.log ?? (() => {});
  return settleAll(selected(opts.only), async (s) => {
    // All of a service's processes at once: a cluster's last broker would wait for a quorum gone before it.
    await Promise.all(
      processes(s).map(async (p) => {
        if (await stopManaged(p.name, p.marker, s.stopTimeoutMs, log)) log(`${p.name}: stopped`);
      }),
    );
    return status(s);
  });
}

/** What the machine must have for terning to start each of the four services itself. */
export const serviceTools = (): Tool[] => ALL.flatMap((name) => SERVICES[name].tools);

/** Looks at all four services without starting or stopping anything. */
export async function servicesStatus(): Promise<ServiceStatus[]> {
  return Promise.all(ALL.map((name) => status(SERVICES[name])));
}

const processes = (s: Service) => [{ name: s.name, marker: s.marker }, ...(s.members?.() ?? [])];

function selected(only: ServiceName[] | undefined): Service[] {
  const unknown = (only ?? []).filter((n) => !(n in SERVICES));
  if (unknown.length) throw new Error(`unknown service ${unknown.join(', ')}; expected ${ALL.join(', ')}`);
  return (only?.length ? ALL.filter((n) => only.includes(n)) : ALL).map((n) => SERVICES[n]);
}

async function settleAll(services: Service[], each: (s: Service) => Promise<ServiceStatus>): Promise<ServiceStatus[]> {
  const results = await Promise.allSettled(services.map(each));
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [`${services[i].name}: ${errorMessage(r.reason)}`] : []));
  if (failures.length) throw new Error(failures.join('\n\n'));
  return results.map((r) => (r as PromiseFulfilledResult<ServiceStatus>).value);
}

async function bringUp(s: Service, log: Log): Promise<ServiceStatus> {
  if (
    !(await s.ping().then(
      () => true,
      () => false,
    ))
  ) {
    await withLock(s.name, async () => {
      // Whoever held the lock before us may have just started it.
      const pingError = await s.ping().then(
        () => undefined,
        (err: unknown) => errorMessage(err) || 'no answer',
      );
      if (pingError === undefined) return;
      const started = Date.now();
      const running = processes(s).filter((p) => managedPid(p.name, p.marker) !== undefined).length;
      if (running === processes(s).length) {
        log(`${s.name}: already starting, waiting for it`);
      } else {
        if (running === 0) await refuseForeign(s, pingError);
        log(`${s.name}: starting at ${s.address()}`);
        await s.start(log);
      }
      await waitForStart(s);
      log(`${s.name}: up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
  }
  await s.ready?.(log);
  return status(s);
}

/** Only start a server where nothing else is: on this machine, on a free port. */
async function refuseForeign(s: Service, pingError: string): Promise<void> {
  const { host, port } = s.endpoint();
  if (!isLoopback(host)) {
    throw new Error(`nothing answers at ${s.address()} (${pingError}); terning only starts services on this machine`);
  }
  if (await portOpen(host, port)) {
    throw new Error(
      `something at ${host}:${port} accepts connections but does not answer as ${s.name} (${pingError}); stop it or point the address elsewhere`,
    );
  }
}

async function waitForStart(s: Service): Promise<void> {
  try {
    await waitUntil(() => s.ping(), {
      timeoutMs: s.startTimeoutMs,
      giveUp: () => (managedPid(s.name, s.marker) === undefined ? 'its process exited' : undefined),
    });
  } catch (err) {
    throw new Error(`did not come up at ${s.address()}: ${errorMessage(err)}\nsee ${logFile(s.name)}, which ends:\n${logTail(s.name)}`, {
      cause: err,
    });
  }
}

async function status(s: Service): Promise<ServiceStatus> {
  const pid = managedPid(s.name, s.marker);
  const managed = pid !== undefined;
  const base = { name: s.name, address: s.address(), managed };
  try {
    await s.ping();
    return { ...base, up: true, detail: managed ? `pid ${pid}, log ${logFile(s.name)}` : 'not started by terning' };
  } catch (err) {
    return { ...base, up: false, detail: managed ? `pid ${pid} is not answering yet: ${errorMessage(err)}` : errorMessage(err) };
  }
}
