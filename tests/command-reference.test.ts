import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import type { Command } from 'commander';
import { buildProgram } from '../cli/main.ts';
import { fromRoot } from '../core/platform/root.ts';

/**
 * The command reference (the table under "| command | what it does |") and `buildProgram()` name the
 * same commands, as oclif's readme check does: a command added, renamed or dropped shows here.
 */

/** Every runnable command's path: `stock set`, `watch`, ... */
function programCommands(cmd: Command, prefix: string[] = []): string[] {
  return cmd.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return c.commands.length ? programCommands(c, path) : [path.join(' ')];
  });
}

/** The commands the reference names: `terning event create\|list` is `event create` and `event list`. */
function documented(): string[] {
  const docs = [
    'README.md',
    ...readdirSync(fromRoot('docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const text = docs.map((f) => readFileSync(fromRoot(f), 'utf8')).find((t) => t.includes('| command | what it does |'));
  if (!text) throw new Error('no command reference found');
  const table = text.slice(text.indexOf('| command | what it does |')).split('\n\n')[0]!.split('\n').slice(2);
  const out: string[] = [];
  for (const row of table) {
    const cell = row.split(/(?<!\\)\|/)[1] ?? '';
    for (const use of cell.replaceAll('`', '').split(/ \/ |, /)) {
      const words = use.trim().split(/\s+/);
      if (words[0] !== 'terning') continue;
      const path: string[][] = [];
      for (const w of words.slice(1)) {
        if (/^[[\-A-Z<]/.test(w) || /^\d/.test(w)) break;
        path.push(w.split('\\|'));
      }
      const expand = (i: number): string[] =>
        i === path.length ? [''] : path[i]!.flatMap((a) => expand(i + 1).map((rest) => `${a} ${rest}`.trim()));
      out.push(...expand(0));
    }
  }
  return out;
}

test('the command reference names exactly the commands the program has', (t) => {
  const program = new Set(programCommands(buildProgram()));
  const docs = new Set(documented());
  t.true(program.size > 15);
  t.deepEqual([...program].filter((c) => !docs.has(c)).sort(), [], 'commands the reference does not name');
  t.deepEqual([...docs].filter((c) => !program.has(c)).sort(), [], 'commands the reference names that the program lacks');
});
