import { Command } from 'commander';
import { UserError, EXIT } from '../errors.ts';
import { withTarget, target, type TargetOptions } from '../options.ts';
import { resolveSettings } from '../settings.ts';

interface WatchOptions extends TargetOptions { mysqlUrl?: string; redisUrl?: string; kafkaBrokers?: string }

/** The live console of an event, for the operator at the opening minute. */
export function watchCommand(): Command {
  return withTarget(new Command('watch'))
    .description('a live console of an event: state, stock, rates, lag, dead letters, emails, health; open and close it')
    .option('--mysql-url <url>', 'MySQL, for the email outbox (env MYSQL_URL)')
    .option('--redis-url <url>', 'Redis, for its health (env REDIS_URL)')
    .option('--kafka-brokers <list>', 'Kafka, for lag and dead letters, comma-separated (env KAFKA_BROKERS)')
    .addHelpText('after', [
      '',
      'Refreshes about every second. Keys: o open the event, c close it (each asks y/n first; it goes through',
      'the admin API and is audited), q quit. A service that goes down is shown as DOWN with its error; the',
      'rest keeps updating, and the last values read from the lost source are marked "(as of HH:MM:SS)".',
      '',
      'Examples:',
      '  terning watch',
      '  terning watch --event spring-sale --config ops/terning.config.json',
    ].join('\n'))
    .action(async (o: WatchOptions) => {
      if (!process.stdin.isTTY || !process.stdout.isTTY) {
        throw new UserError('terning watch needs a terminal; for scripts use `terning event show --json`', EXIT.usage);
      }
      // Ink, React and the clients load only here: the other commands start without them.
      const [{ createElement }, { render }, { ConsoleLoader }, { WatchApp }] = await Promise.all([
        import('react'), import('ink'), import('../../console/loader.ts'), import('../../console/WatchApp.tsx'),
      ]);
      const s = resolveSettings({ config: o.config, mysqlUrl: o.mysqlUrl, redisUrl: o.redisUrl, kafkaBrokers: o.kafkaBrokers });
      const loader = new ConsoleLoader({
        target: target(o), eventId: o.event ?? null, defaultEventId: s.defaultEventId,
        mysqlUrl: s.mysqlUrl, redisUrl: s.redisUrl, kafka: s.kafka,
      });
      loader.start();
      const app = render(createElement(WatchApp, { source: loader }));
      try {
        await app.waitUntilExit();
      } finally {
        await loader.stop();
      }
    });
}
