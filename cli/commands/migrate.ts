import { Command } from 'commander';
import { loadConfig } from '../../core/platform/config.ts';
import { createSequelize, ensureDatabase } from '../../core/adapters/mysql/sequelize.ts';

export async function migrate(direction: 'up' | 'down' = 'up', log: (line: string) => void = console.log): Promise<string[]> {
  const config = loadConfig();
  await ensureDatabase(config.mysqlUrl);
  const sequelize = createSequelize(config.mysqlUrl);
  try {
    // Loaded here: every process loads this file with the CLI, and only migrate needs umzug.
    const { createMigrator } = await import('../../core/adapters/mysql/migrator.ts');
    const migrator = createMigrator(sequelize, log);
    const done = direction === 'up' ? await migrator.up() : await migrator.down();
    return done.map((m) => m.name);
  } finally {
    await sequelize.close();
  }
}

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('create the database if missing and apply the migrations')
    .option('--down', 'undo the last migration')
    .addHelpText('after', '\nExamples:\n  terning migrate\n  terning migrate --down')
    .action(async (o: { down?: boolean }) => {
      const names = await migrate(o.down ? 'down' : 'up', () => {});
      console.log(names.length ? `${o.down ? 'reverted' : 'applied'}: ${names.join(', ')}` : 'nothing to do: the schema is current');
    });
}
