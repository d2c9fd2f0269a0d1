import { Command } from 'commander';
import type { EventSnapshot } from '../../core/domain/event.ts';
import { adminCall } from '../admin-client.ts';
import { withTarget, target, eventPath, stockArgument, type TargetOptions } from '../options.ts';
import { printEvent } from '../print.ts';

export function stockCommand(): Command {
  const cmd = new Command('stock').description("read or set an event's gift stock");
  withTarget(cmd.command('set').argument('<count>', 'the total number of gifts', stockArgument))
    .description('set the total stock; the winners so far keep their gifts, so it cannot go below them')
    .addHelpText('after', '\nExamples:\n  terning stock set 100\n  terning stock set 250 --event spring-sale')
    .action(async (n: number, o: TargetOptions) => {
      printEvent(await adminCall<EventSnapshot>(target(o), 'POST', eventPath(o, '/stock'), { count: n }), o.json);
    });
  withTarget(cmd.command('show'))
    .description('show the total and remaining stock')
    .addHelpText('after', '\nExamples:\n  terning stock show\n  terning stock show --event spring-sale --json')
    .action(async (o: TargetOptions) => {
      printEvent(await adminCall<EventSnapshot>(target(o), 'GET', eventPath(o, '')), o.json);
    });
  return cmd;
}
