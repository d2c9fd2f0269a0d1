import { Command, CommanderError } from 'commander';
import { ConfigError } from '../core/platform/config.ts';
import { UserError, EXIT } from './errors.ts';
import { servicesCommand } from './commands/services.ts';
import { migrateCommand } from './commands/migrate.ts';
import { serverCommand, consumerCommand, stockStreamCommand } from './commands/run.ts';
import { stockCommand } from './commands/stock.ts';
import { eventCommand } from './commands/event.ts';
import { upCommand } from './commands/up.ts';
import { watchCommand } from './commands/watch.ts';
import { dlqCommand } from './commands/dlq.ts';
import { exportCommand } from './commands/export.ts';
import { auditCommand } from './commands/audit.ts';
import { reconcileCommand } from './commands/reconcile.ts';
import { logCommand } from './commands/log.ts';
import { verifyCommand } from './commands/verify.ts';

export function buildProgram(): Command {
  return new Command('terning')
    .description('first-come-first-served giveaways that hold the thundering herd')
    .showHelpAfterError()
    .addCommand(upCommand())
    .addCommand(servicesCommand())
    .addCommand(migrateCommand())
    .addCommand(serverCommand())
    .addCommand(consumerCommand())
    .addCommand(stockStreamCommand())
    .addCommand(eventCommand())
    .addCommand(stockCommand())
    .addCommand(watchCommand())
    .addCommand(dlqCommand())
    .addCommand(exportCommand())
    .addCommand(auditCommand())
    .addCommand(reconcileCommand())
    .addCommand(logCommand())
    .addCommand(verifyCommand());
}

/** Commander throws instead of exiting, so its refusals get the usage exit code below. */
function throwOnExit(cmd: Command): Command {
  cmd.exitOverride();
  for (const sub of cmd.commands) throwOnExit(sub);
  return cmd;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await throwOnExit(buildProgram()).parseAsync(argv);
  } catch (e) {
    if (e instanceof UserError || e instanceof ConfigError) {
      console.error(`terning: ${e.message}`);
      process.exit(e instanceof UserError ? e.exitCode : 2);
    }
    // Commander's own refusals (an unknown option, a bad argument) are usage errors; --help exits 0.
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : EXIT.usage);
    throw e;
  }
}
