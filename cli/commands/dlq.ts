import { Command, InvalidArgumentError } from 'commander';
import type { DeadLetterView, ReplayResult } from '../../core/use-cases/operator/dead-letter-desk.ts';
import { adminCall } from '../admin-client.ts';
import { DEAD_LETTER_ID } from '../../core/domain/rules.ts';
import { UserError, EXIT } from '../errors.ts';
import { withTarget, target, type TargetOptions } from '../options.ts';

const ids = (v: string, prev: string[] = []) => {
  const given = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = given.filter((id) => !DEAD_LETTER_ID.test(id));
  if (bad.length || given.length === 0) throw new InvalidArgumentError(`a dead letter id is PARTITION:OFFSET, like 0:17 (got "${v}")`);
  return [...prev, ...given];
};

function printLetters(letters: DeadLetterView[]) {
  if (letters.length === 0) return console.log('no dead letters');
  for (const l of letters) {
    const who = l.eventId ? `${l.eventId} ${l.email}` : '(not an application)';
    const state = l.replayedAt ? `replayed ${l.replayedAt} by ${l.replayedBy}` : l.unreplayable ? 'not replayable' : 'waiting';
    console.log(`${l.id.padEnd(8)} ${l.failedAt}  ${who}\n         error: ${l.error}\n         ${state}`);
  }
  const waiting = letters.filter((l) => !l.replayedAt && !l.unreplayable).length;
  console.log(`\n${letters.length} dead letters, ${waiting} to replay`);
}

/** The dead-lettered applications: list them with their errors, and replay them through the server. */
export function dlqCommand(): Command {
  const cmd = new Command('dlq').description('list and replay dead-lettered applications');
  withTarget(cmd.command('list'))
    .description('list the dead letters with their errors and whether they were replayed')
    .addHelpText('after', '\nExamples:\n  terning dlq list\n  terning dlq list --json')
    .action(async (o: TargetOptions) => {
      const { deadLetters } = await adminCall<{ deadLetters: DeadLetterView[] }>(target(o), 'GET', '/api/admin/dlq');
      if (o.json) return console.log(JSON.stringify(deadLetters, null, 2));
      printLetters(deadLetters);
    });
  withTarget(cmd.command('replay'))
    .description('send dead letters back to the applications topic; a replay never makes a second winner')
    .option('--id <ids>', 'the dead letters to replay (PARTITION:OFFSET, repeat or comma-separate)', ids)
    .option('--all', 'every dead letter not replayed yet')
    .addHelpText('after', '\nExamples:\n  terning dlq replay --id 0:17\n  terning dlq replay --id 0:17,0:18\n  terning dlq replay --all')
    .action(async (o: TargetOptions & { id?: string[]; all?: boolean }) => {
      if (!o.id === !o.all) throw new UserError('say which: --id PARTITION:OFFSET (see `terning dlq list`) or --all', EXIT.usage);
      const result = await adminCall<ReplayResult>(target(o), 'POST', '/api/admin/dlq/replay', o.all ? { all: true } : { ids: o.id });
      if (o.json) return console.log(JSON.stringify(result, null, 2));
      console.log(result.replayed.length ? `replayed ${result.replayed.length}: ${result.replayed.join(', ')}` : 'nothing to replay');
      for (const s of result.skipped) console.log(`skipped ${s.id}: ${s.reason}`);
    });
  return cmd;
}
