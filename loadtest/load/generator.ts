import { performance } from 'node:perf_hooks';
import { Exchange, type Outcome } from './http-exchange.ts';
import type { Job, JobResult } from './job.ts';

/**
 * The load generator's process: takes one Job over IPC, runs it, sends back a JobResult. It runs apart
 * from the harness so that nothing else in its event loop delays a request.
 */
async function run(job: Job): Promise<JobResult> {
  const n = job.tokens.length;
  const requests = job.tokens.map((t) => Buffer.from(job.head + t + job.tail, 'latin1'));
  const start = new Float64Array(n);
  const wroteAt = new Float64Array(n);
  const end = new Float64Array(n);
  const status = new Int16Array(n).fill(-2);
  const errors: Record<string, number> = {};
  const t0 = performance.now();
  const clock = () => performance.now() - t0;
  const cpu0 = process.cpuUsage();
  let cursor = 0;
  const next = () => (cursor < n && clock() < job.durationMs ? cursor++ : -1);

  const record = (i: number, o: Outcome, pressedAt = o.start) => {
    start[i] = pressedAt;
    wroteAt[i] = o.start;
    end[i] = o.end;
    status[i] = o.status;
    if (o.error) errors[o.error] = (errors[o.error] ?? 0) + 1;
  };
  // In a burst every applicant presses at the first moment: latency counts from then, whether the
  // request waits in the generator (as in a proxy in front of the API) or, pipelined, in the API.
  // A sustained run sends the next request when the previous one is answered.
  const lane = async (l: number) => {
    const exchange = new Exchange(job.targets[l % job.targets.length]!, clock, job.timeoutMs);
    if (job.mode === 'burst' && job.pipelined) {
      const mine: Promise<void>[] = [];
      for (let i = l; i < n; i += job.connections) mine.push(exchange.send(requests[i]!).then((o) => record(i, o, 0)));
      await Promise.all(mine);
    } else if (job.mode === 'burst' && job.fresh) {
      for (let i = l; i < n; i += job.connections) {
        const own = new Exchange(job.targets[i % job.targets.length]!, clock, job.timeoutMs);
        record(i, await own.send(requests[i]!), 0);
        own.close();
      }
    } else if (job.mode === 'burst') {
      for (let i = l; i < n; i += job.connections) record(i, await exchange.send(requests[i]!), 0);
    } else {
      for (let i = next(); i >= 0; i = next()) record(i, await exchange.send(requests[i]!));
    }
    exchange.close();
  };
  const lanes = Math.min(job.connections, n);
  await Promise.all(Array.from({ length: lanes }, (_, l) => lane(l)));
  const cpu = process.cpuUsage(cpu0);
  let sent = 0;
  for (let i = 0; i < n; i++) if (status[i] !== -2) sent++;
  return { start, wroteAt, end, status, errors, sent, startedAt: performance.timeOrigin + t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

process.on('message', (job: Job) => {
  run(job).then(
    (r) => process.send!({ ok: true, result: r }, () => process.exit(0)),
    (e) => process.send!({ ok: false, error: String(e?.stack ?? e) }, () => process.exit(1)),
  );
});
