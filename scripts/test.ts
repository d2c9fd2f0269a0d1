/**
 * `npm test`: makes sure the services answer (testcontainers when a Docker engine runs, else the
 * machine's own, brought up by `terning services up`), migrates a test database, then runs ava.
 */
import { spawn } from 'node:child_process';
import { servicesUp } from '../infra/index.ts';
import { startContainers } from '../tests/support/containers.ts';

const testDb = (url: string) => {
  const u = new URL(url);
  u.pathname = `/${u.pathname.replace(/^\//, '') || 'terning'}_test`;
  return u.toString();
};

async function prepare(): Promise<() => Promise<void>> {
  const containers = await startContainers();
  if (containers) {
    Object.assign(process.env, containers.env);
    await servicesUp({ only: ['ses'], log: (l) => console.log(`  ${l}`) });
    return containers.stop;
  }
  console.log('no Docker engine: using the local services (terning services up)');
  const list = await servicesUp({ log: (l) => console.log(`  ${l}`) });
  const down = list.filter((s) => !s.up);
  if (down.length) throw new Error(`services not up: ${down.map((s) => `${s.name}: ${s.detail}`).join('; ')}`);
  return async () => {};
}

const stop = await prepare();
process.env.MYSQL_URL = testDb(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/terning');
const { migrate } = await import('../cli/commands/migrate.ts');
await migrate('up', () => {});
await forgetQueuedEmails(process.env.MYSQL_URL);

/** Winner emails left queued by earlier runs (whose consumers didn't send) would only slow this one. */
async function forgetQueuedEmails(url: string) {
  const { createSequelize } = await import('../core/db/sequelize.ts');
  const db = createSequelize(url, { pool: 1 });
  await db.query("DELETE FROM email_outbox WHERE status = 'queued'").finally(() => db.close());
}

const ava = spawn(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', ...process.argv.slice(2)], { stdio: 'inherit', env: process.env });
const code = await new Promise<number>((resolve) => ava.on('exit', (c) => resolve(c ?? 1)));
await stop();
process.exit(code);
