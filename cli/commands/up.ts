import { Command } from 'commander';
import { spawn, type ChildProcess } from 'node:child_process';
import { fromRoot } from '../../core/platform/root.ts';
import { loadConfig } from '../../core/platform/config.ts';
import { bringUp } from './services.ts';
import { migrate } from './migrate.ts';

const BIN = fromRoot('bin', 'terning.js');

function child(name: string, args: string[]): ChildProcess {
  const p = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  });
  p.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`terning ${name} exited (${signal ?? code}); stopping`);
      void stopAll(1);
    }
  });
  return p;
}

let stopping = false;
const children: ChildProcess[] = [];

async function stopAll(code: number) {
  stopping = true;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
  process.exit(code);
}

/** Everything a person needs to try terning: services, schema, server, consumer and the SES emulator. */
export function upCommand(): Command {
  return new Command('up').description('bring up the services, migrate, and run the server and the consumer together').action(async () => {
    const config = loadConfig();
    console.log('bringing the services up (the first run downloads Kafka from Maven Central) ...');
    await bringUp((line) => console.log(`  ${line}`));
    await migrate('up', () => {});
    children.push(child('server', ['server']), child('consumer', ['consumer']));
    process.once('SIGINT', () => void stopAll(0));
    process.once('SIGTERM', () => void stopAll(0));
    const page = `http://${config.host}:${config.port}/`;
    await waitFor(`${page}readyz`, 60_000);
    console.log(
      [
        '',
        `terning is up.`,
        `  the page:       ${page}`,
        `  the emails:     ${config.ses.endpoint ?? 'AWS SES'} (the SES emulator's inbox; JSON at ${config.ses.endpoint}/store)`,
        `  the admin key:  ${config.adminKey === 'terning-dev-admin-key' ? 'terning-dev-admin-key (development default)' : 'from ADMIN_KEY'}`,
        '',
        'Next, in another terminal: `./bin/terning.js stock set 10` and `./bin/terning.js event open`. Ctrl-C stops.',
      ].join('\n'),
    );
  });
}

async function waitFor(url: string, ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the server did not come up at ${url}`);
}
