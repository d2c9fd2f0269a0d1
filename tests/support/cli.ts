import type { Command } from 'commander';
import { buildProgram } from '../../cli/main.ts';

function quiet(cmd: Command): Command {
  cmd.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  for (const sub of cmd.commands) quiet(sub);
  return cmd;
}

/** Runs `terning ...args` in-process through Commander, returning what it printed on stdout. */
export async function terning(...args: string[]): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => lines.push(parts.join(' '));
  try {
    await quiet(buildProgram()).parseAsync(['node', 'terning', ...args]);
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

/** Runs `terning ...args` and parses what it printed as JSON. */
export async function terningJson<T = any>(...args: string[]): Promise<T> {
  return JSON.parse(await terning(...args, '--json')) as T;
}
