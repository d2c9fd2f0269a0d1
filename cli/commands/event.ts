import { Command } from 'commander';
import type { EventSnapshot } from '../../core/domain/event.ts';
import { adminCall } from '../admin-client.ts';
import { withTarget, target, eventPath, eventArgument, stockArgument, timeArgument as time, type TargetOptions } from '../options.ts';
import { printEvent } from '../print.ts';

export function eventCommand(): Command {
  const cmd = new Command('event').description('create, show, open and close events');
  withTarget(cmd.command('show'))
    .description('show an event with its live counts')
    .addHelpText('after', '\nExamples:\n  terning event show\n  terning event show --event spring-sale --json')
    .action(async (o: TargetOptions) => printEvent(await adminCall<EventSnapshot>(target(o), 'GET', eventPath(o, '')), o.json));
  withTarget(cmd.command('list'))
    .description('list the events')
    .addHelpText('after', '\nExamples:\n  terning event list\n  terning event list --json --config ops/terning.config.json')
    .action(async (o: TargetOptions) => {
      const { events } = await adminCall<{ events: EventSnapshot[] }>(target(o), 'GET', '/api/admin/events');
      if (o.json) return console.log(JSON.stringify(events, null, 2));
      for (const e of events) console.log(`${e.id.padEnd(20)} ${e.state.padEnd(10)} ${e.remainingStock}/${e.totalStock} left  ${e.name}`);
    });
  withTarget(cmd.command('create').argument('<id>', 'lower-case letters, digits and dashes', eventArgument))
    .description('create an event in draft')
    .requiredOption('--name <name>', 'what participants see')
    .option('--stock <n>', 'the total stock', stockArgument, 0)
    .addHelpText('after', '\nExamples:\n  terning event create spring-sale --name "Spring gift" --stock 500')
    .action(async (id: string, o: TargetOptions & { name: string; stock: number }) => {
      printEvent(await adminCall<EventSnapshot>(target(o), 'POST', '/api/admin/events', { id, name: o.name, totalStock: o.stock }), o.json);
    });
  for (const verb of ['open', 'close'] as const) {
    withTarget(cmd.command(verb))
      .description(`${verb} the event now, or at --at`)
      .option('--at <time>', 'when, e.g. 2026-12-01T10:00:00+09:00', time)
      .addHelpText('after', `\nExamples:\n  terning event ${verb}\n  terning event ${verb} --at 2026-12-01T10:00:00+09:00`)
      .action(async (o: TargetOptions & { at?: string }) => {
        printEvent(await adminCall<EventSnapshot>(target(o), 'POST', eventPath(o, `/${verb}`), o.at ? { at: o.at } : undefined), o.json);
      });
  }
  return cmd;
}
