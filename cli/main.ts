import { Command, CommanderError } from 'commander';
import { ConfigError } from '../core/config.ts';
import { UserError } from './errors.ts';
import { servicesCommand } from './commands/services.ts';
import { migrateCommand } from './commands/migrate.ts';
import { serverCommand, consumerCommand } from './commands/run.ts';
import { stockCommand } from './commands/stock.ts';
import { eventCommand } from './commands/event.ts';
import { upCommand } from './commands/up.ts';

export function buildProgram(): Command {
  return new Command('terning')
    .description('first-come-first-served giveaways that hold the thundering herd')
    .showHelpAfterError()
    .addCommand(upCommand())
    .addCommand(servicesCommand())
    .addCommand(migrateCommand())
    .addCommand(serverCommand())
    .addCommand(consumerCommand())
    .addCommand(eventCommand())
    .addCommand(stockCommand());
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof UserError || e instanceof ConfigError) {
      console.error(`terning: ${e.message}`);
      process.exit(e instanceof UserError ? e.exitCode : 2);
    }
    if (e instanceof CommanderError) process.exit(e.exitCode);
    throw e;
  }
}
