import { Umzug, SequelizeStorage } from 'umzug';
import type { Sequelize, QueryInterface } from 'sequelize';
import { fromRoot } from '../../platform/root.ts';

export type MigrationContext = QueryInterface;

/** Migrations live in migrations/ at the top of the repo, each with up and down. */
export function createMigrator(sequelize: Sequelize, log: (line: string) => void = () => {}) {
  const glob = fromRoot('migrations', '*.ts');
  return new Umzug<MigrationContext>({
    migrations: { glob },
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'terning_migrations' }),
    logger: {
      info: (m) => log(`${(m as { event?: string }).event ?? ''} ${(m as { name?: string }).name ?? ''}`.trim()),
      warn: (m) => log(String(m)),
      error: (m) => log(String(m)),
      debug: () => {},
    },
  });
}
