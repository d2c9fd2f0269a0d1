import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Log } from './service.ts';

export interface Tool {
  bin: string;
  /** The Debian package that provides it. */
  pkg: string;
}

// Server binaries such as mariadbd live in sbin, which a non-root PATH often lacks.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

function findTool(bin: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return join(dir, bin);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Tools missing where they can't be installed: the message holds the one command that installs them. */
export class MissingTools extends Error {}

// apt-get holds a lock: installs started in parallel, in this process or in others (ava's workers),
// take turns through flock(1) on one file. A turn that finds the tools installed by the turn before it
// costs one quick `apt-get install` that changes nothing.
const APT_LOCK = '/tmp/terning-apt.lock';

/**
 * Paths of the tools `who` needs. Missing ones are installed with apt-get when running as root, which
 * `log` is told first; anyone else gets an error with the one command that installs them all.
 */
export async function requireTools(who: string, tools: Tool[], log: Log): Promise<Record<string, string>> {
  const absent = tools.filter((t) => !findTool(t.bin));
  if (absent.length) {
    const names = [...new Set(absent.map((t) => t.bin))].join(', ');
    const command = `apt-get install -y ${[...new Set(absent.map((t) => t.pkg))].join(' ')}`;
    if (process.getuid?.() !== 0) {
      throw new MissingTools(
        `${who}: ${names} not installed. As root, terning installs what is missing itself; otherwise run:\n` +
          `  sudo apt-get update && sudo ${command}`,
      );
    }
    log(`${who}: installing ${names} (apt-get update && ${command})`);
    await apt(`apt-get update && ${command}`);
    if (absent.some((t) => !findTool(t.bin))) throw new Error(`\`${command}\` succeeded but ${names} is still not on PATH`);
  }
  return Object.fromEntries(tools.map((t) => [t.bin, findTool(t.bin)!]));
}

async function apt(script: string): Promise<void> {
  const child = spawn('flock', ['-w', '900', APT_LOCK, 'sh', '-c', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`\`${script}\` exited with ${code}:\n${output.slice(-2000)}`);
}
