import { fork } from 'node:child_process';
import type { Job, JobResult } from './job.ts';

/** Runs a Job in a fresh load-generator process and waits for its result. */
export function runJob(job: Job): Promise<JobResult> {
  const child = fork(new URL('./generator.ts', import.meta.url), [], {
    serialization: 'advanced',
    execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { ok: true; result: JobResult } | { ok: false; error: string }) => {
      if (m.ok) resolve(m.result);
      else reject(new Error(`load generator failed: ${m.error}`));
    });
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    child.send(job);
  });
}
