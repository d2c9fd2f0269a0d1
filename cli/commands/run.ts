import { Command } from 'commander';
import { loadConfig } from '../../core/platform/config.ts';
// Each process loads only its own code: the server never loads the consumer, nor the consumer the
// server (memory under a herd counts).

/** Runs a process until SIGTERM or SIGINT, then stops it cleanly. */
async function runUntilSignal(proc: { start(): Promise<unknown>; stop(): Promise<void> }): Promise<void> {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await proc.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  await proc.start();
}

export function serverCommand(): Command {
  return new Command('server').description('run the API server (PORT, MYSQL_URL, REDIS_URL, KAFKA_BROKERS, ...)').action(async () => {
    const { ApiServer } = await import('../../server/process.ts');
    await runUntilSignal(new ApiServer(loadConfig()));
  });
}

export function stockStreamCommand(): Command {
  return new Command('stock-stream')
    .description("serve the events' stock streams at scale (STOCK_STREAM_PORT, STOCK_STREAM_MAX_WATCHERS, REDIS_URL, MYSQL_URL)")
    .action(async () => {
      const { StockStreamServer } = await import('../../server/stock-stream/process.ts');
      const config = loadConfig();
      const { http, stockStream } = config;
      const proc = new StockStreamServer(config, {
        maxWatchers: stockStream.maxWatchers,
        maxPerNetwork: http.maxConnectionsPerNetwork,
        headersTimeoutMs: http.headersTimeoutMs,
        maxHeaderSize: http.maxHeaderSize,
      });
      await runUntilSignal({ start: () => proc.start(stockStream.port), stop: () => proc.stop() });
    });
}

export function consumerCommand(): Command {
  return new Command('consumer')
    .description('run a consumer: it persists the decided applications, sweeps stale reservations and sends the winner emails')
    .option('--no-emails', 'do not send winner emails from this process')
    .action(async (o: { emails: boolean }) => {
      const { ConsumerProcess } = await import('../../consumer/process.ts');
      const proc = new ConsumerProcess(loadConfig(), {
        sendEmails: o.emails,
        // A consumer that keeps crashing after it was opened again must not sit idle: exit, and the
        // supervisor starts a new one.
        onCrash: () => void proc.stop().finally(() => process.exit(1)),
      });
      await runUntilSignal(proc);
    });
}
