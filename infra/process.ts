import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { logDir, logFile, pidFile, runDir } from './paths.ts';

/**
 * Starts a long-lived server that outlives this Node process: its own process group, output
 * appended to logs/<name>.log, pid in run/<name>.pid.
 */
export async function spawnDetached(
  name: string,
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<number> {
  mkdirSync(runDir(), { recursive: true });
  mkdirSync(logDir(), { recursive: true });
  const out = openSync(logFile(name), 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], cwd: opts.cwd, env: opts.env });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    writeFileSync(pidFile(name), `${child.pid}\n`);
    return child.pid!;
  } finally {
    closeSync(out);
  }
}

/** Runs a command to completion with its output appended to logs/<name>.log. */
export async function runLogged(
  name: string,
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  mkdirSync(logDir(), { recursive: true });
  const out = openSync(logFile(name), 'a');
  try {
    const child = spawn(command, args, { stdio: ['ignore', out, out], cwd: opts.cwd, env: opts.env });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0) {
      throw new Error(`\`${command} ${args.join(' ')}\` exited with ${code}; see ${logFile(name)}\n${logTail(name)}`);
    }
  } finally {
    closeSync(out);
  }
}

/**
 * The pid from run/<name>.pid if that process is still alive and is the program we started.
 * The command-line check keeps a stale pid file (after a reboot, say) from naming someone
 * else's process, which servicesDown would then kill; it also treats zombies as gone. Linux only.
 */
export function managedPid(name: string, marker: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(name), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM, then SIGKILL after `timeoutMs`. Returns whether a process of ours was running. */
export async function stopManaged(name: string, marker: string, timeoutMs: number, log: (line: string) => void): Promise<boolean> {
  const pid = managedPid(name, marker);
  if (pid !== undefined) {
    log(`${name}: stopping pid ${pid}`);
    process.kill(pid, 'SIGTERM');
    if (!(await exited(name, marker, timeoutMs))) {
      log(`${name}: still running after ${timeoutMs / 1000} s, sending SIGKILL`);
      process.kill(pid, 'SIGKILL');
      await exited(name, marker, 5000);
    }
  }
  rmSync(pidFile(name), { force: true });
  return pid !== undefined;
}

async function exited(name: string, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (managedPid(name, marker) !== undefined) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Runs `fn` while holding run/<name>.lock, so that processes calling servicesUp at the same time
 * (ava runs test files in parallel) do not both fetch jars or both start a server. A lock whose
 * holder has died is taken over.
 */
export async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(runDir(), { recursive: true });
  const file = join(runDir(), `${name}.lock`);
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: number;
    try {
      holder = Number(readFileSync(file, 'utf8').trim());
    } catch {
      continue; // released between our attempt and this read
    }
    // An empty file is a lock being written right now, not a dead one.
    if (holder > 0 && !existsSync(`/proc/${holder}`)) rmSync(file, { force: true });
    else await sleep(250);
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * The end of logs/<name>.log, so that a failure shows its cause without opening the file; when the
 * cause was printed earlier (mariadb-install-db ends with a page of advice), the log's error lines too.
 */
export function logTail(name: string, lines = 15): string {
  const file = logFile(name);
  if (!existsSync(file)) return '';
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 64 * 1024));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    const all = buf.toString('utf8').trimEnd().split('\n');
    const tail = all.slice(-lines);
    const errors = all
      .slice(0, -lines)
      .filter((l) => /\[ERROR\]|\bERROR\b|\bFATAL\b|failed/i.test(l))
      .slice(-10);
    return [...errors.map((l) => `  ! ${l}`), ...tail.map((l) => `  | ${l}`)].join('\n');
  } finally {
    closeSync(fd);
  }
}
