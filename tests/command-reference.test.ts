import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import type { Command } from 'commander';
import { buildProgram } from '../cli/main.ts';
import { fromRoot } from '../core/platform/root.ts';

/**
 * The command reference (the table under "| command | what it does |") and `buildProgram()` name the
 * same commands, and every option the reference names is one of its commands', as oclif's readme
 * check does: a command or option added, renamed or dropped shows here.
 */

/** Every runnable command's path: `stock set`, `watch`, ... */
function programCommands(cmd: Command, prefix: string[] = []): string[] {
  return cmd.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return c.commands.length ? programCommands(c, path) : [path.join(' ')];
  });
}

/** Every runnable command's long options, by path. */
function programOptions(cmd: Command, prefix: string[] = []): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of cmd.commands) {
    const path = [...prefix, c.name()];
    if (c.commands.length) for (const [p, o] of programOptions(c, path)) out.set(p, o);
    else out.set(path.join(' '), c.options.map((o) => o.long ?? '').filter(Boolean));
  }
  return out;
}

/** The reference's rows: the commands each names, and the options it names for them. */
function documentedRows(): { commands: string[]; options: string[] }[] {
  return referenceRows().map((cell) => ({ commands: commandsIn(cell), options: [...cell.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]) }));
}

/** Every command the reference names. */
function documented(): string[] {
  return referenceRows().flatMap(commandsIn);
}

/** The first cell of each row of the command reference (the table under "| command | what it does |"). */
function referenceRows(): string[] {
  const docs = [
    'README.md',
    ...readdirSync(fromRoot('docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const text = docs.map((f) => readFileSync(fromRoot(f), 'utf8')).find((t) => t.includes('| command | what it does |'));
  if (!text) throw new Error('no command reference found');
  const table = text.slice(text.indexOf('| command | what it does |')).split('\n\n')[0]!.split('\n').slice(2);
  return table.map((row) => row.split(/(?<!\\)\|/)[1] ?? '');
}

/** The commands a row names: `terning event create\\|list` is `event create` and `event list`. */
function commandsIn(cell: string): string[] {
  const out: string[] = [];
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
  return out;
}

test('every option the command reference names is one its commands take', (t) => {
  const options = programOptions(buildProgram());
  const rows = documentedRows().filter((r) => r.options.length);
  t.true(rows.length > 3);
  for (const row of rows) {
    const taken = new Set(row.commands.flatMap((c) => options.get(c) ?? []));
    t.deepEqual(
      row.options.filter((o) => !taken.has(o)),
      [],
      `options the reference names for ${row.commands.join(', ')} that the program lacks`,
    );
  }
});

test('the command reference names exactly the commands the program has', (t) => {
  const program = new Set(programCommands(buildProgram()));
  const docs = new Set(documented());
  t.true(program.size > 15);
  t.deepEqual([...program].filter((c) => !docs.has(c)).sort(), [], 'commands the reference does not name');
  t.deepEqual([...docs].filter((c) => !program.has(c)).sort(), [], 'commands the reference names that the program lacks');
});
