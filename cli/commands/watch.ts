import { Command } from 'commander';
import { UserError, EXIT } from '../errors.ts';
import { withTarget, target, type TargetOptions } from '../options.ts';
import { resolveSettings } from '../settings.ts';

interface WatchOptions extends TargetOptions {
  mysqlUrl?: string;
  redisUrl?: string;
  kafkaBrokers?: string;
}

/** The live console of an event, for the operator at the opening minute. */
export function watchCommand(): Command {
  return withTarget(new Command('watch'))
    .description('a live console of an event: state, stock, rates, lag, dead letters, emails, health; open and close it')
    .option('--mysql-url <url>', 'MySQL, for the email outbox (env MYSQL_URL)')
    .option('--redis-url <url>', 'Redis, for its health (env REDIS_URL)')
    .option('--kafka-brokers <list>', 'Kafka, for lag and dead letters, comma-separated (env KAFKA_BROKERS)')
    .addHelpText(
      'after',
      [
        '',
        'Refreshes about every second. Keys: o open the event, c close it (each asks y/n first; it goes through',
        'the admin API and is audited), q quit. A service that goes down is shown as DOWN with its error; the',
        'rest keeps updating, and the last values read from the lost source are marked "(as of HH:MM:SS)".',
        '',
        'Examples:',
        '  terning watch',
        '  terning watch --event spring-sale --config ops/terning.config.json',
        '  terning watch --json    # one reading of everything, for scripts (no terminal needed)',
      ].join('\n'),
    )
    .action(async (o: WatchOptions) => {
      const s = resolveSettings({ config: o.config, mysqlUrl: o.mysqlUrl, redisUrl: o.redisUrl, kafkaBrokers: o.kafkaBrokers });
      const settings = {
        target: target(o),
        eventId: o.event ?? null,
        defaultEventId: s.defaultEventId,
        mysqlUrl: s.mysqlUrl,
        redisUrl: s.redisUrl,
        redisSentinels: s.redisSentinels,
        redisMasterName: s.redisMasterName,
        kafka: s.kafka,
      };
      if (!o.json && (!process.stdin.isTTY || !process.stdout.isTTY)) {
        throw new UserError('terning watch needs a terminal; for scripts use `terning watch --json`', EXIT.usage);
      }
      // Ink, React and the clients load only here: the other commands start without them.
      const { ConsoleLoader } = await import('../../console/loader.ts');
      const loader = new ConsoleLoader(settings);
      if (o.json) {
        try {
          return console.log(JSON.stringify(await loader.readOnce(), null, 2));
        } finally {
          await loader.stop();
        }
      }
      const [{ createElement }, { render }, { WatchApp }] = await Promise.all([
        import('react'),
        import('ink'),
        import('../../console/WatchApp.tsx'),
      ]);
      loader.start();
      const app = render(createElement(WatchApp, { source: loader }));
      try {
        await app.waitUntilExit();
      } finally {
        await loader.stop();
      }
      // A client library still retrying a dead service (a connect in flight) must not hold a quit console open.
      setTimeout(() => process.exit(0), 1_000).unref();
    });
}
