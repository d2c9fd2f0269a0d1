import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { loadConfig } from '../core/platform/config.ts';
import { createLogger } from '../core/platform/log.ts';
import { Scripts } from '../core/adapters/redis/scripts.ts';
import { RestoreScripts } from '../core/adapters/redis/restore-scripts.ts';
import { Subscriber } from '../core/adapters/redis/subscriber.ts';
import { SoldOutBoard } from '../core/adapters/redis/sold-out-board.ts';
import { JwsSigner } from '../core/adapters/keys/jws.ts';
import { newKeysFile, parseProofKeys } from '../core/adapters/keys/proof-keys.ts';
import { Receipts } from '../core/use-cases/proof/receipts.ts';

const HELP = `npm run board-memory -- [--winners N]

What the sold-out board (core/adapters/redis/sold-out-board.ts) costs an API process for an event with
N winners (500000): an event of a prefix of its own is sold out through apply.lua and confirm.lua on
REDIS_URL, a board reads it, and this prints the heap it holds, how long it took to read, and what a
SOLD_OUT answer from it costs.
`;

const { values } = parseArgs({ options: { winners: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const winners = Number(values.winners ?? 500_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || !Number.isInteger(winners) || winners < 1) {
  process.stderr.write('run through npm run board-memory (node --expose-gc); --winners is a positive integer\n');
  process.exit(2);
}
const heapMb = () => {
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
};

const config = loadConfig();
const log = createLogger('board-memory', 'warn');
const redis = new Redis(config.redisUrl);
const prefix = `board-memory-${randomUUID().slice(0, 8)}`;
const scripts = new Scripts(redis, prefix);
const subscriber = new Subscriber(redis, `${prefix}:subscriber`, log);
const eventId = 'drop';

try {
  await new RestoreScripts(redis, prefix).loadEvent(eventId, { state: 'open', opensAt: null, closesAt: null, total: winners }, true);
  for (let from = 0; from < winners; from += 500) {
    const persons = Array.from({ length: Math.min(500, winners - from) }, (_, i) => `winner-${from + i}@drop.test`);
    const gate = await scripts.applyMany(eventId, persons, Date.now());
    await scripts.confirm(
      eventId,
      persons.map((person, i) => ({ person, ticket: gate[i]!.kind === 'new' ? (gate[i] as { ticket: number }).ticket : 0 })),
    );
  }
  const keys = parseProofKeys(newKeysFile(), 'board-memory');
  const receipts = new Receipts(new JwsSigner(keys), keys.nonceSecret);
  const board = new SoldOutBoard(redis, prefix, subscriber, log, (facts) => receipts.soldOut(facts));
  await board.start();
  const before = heapMb();
  const started = performance.now();
  board.noticed(eventId);
  while (board.size === 0) await sleep(5);
  const readMs = performance.now() - started;
  const held = heapMb() - before;
  const answers = 1_000_000;
  const t0 = performance.now();
  let soldOut = 0;
  for (let i = 0; i < answers; i++) if (board.answer(eventId, `stranger-${i}@drop.test`)?.kind === 'sold-out') soldOut++;
  const perAnswerNs = ((performance.now() - t0) * 1e6) / answers;
  process.stdout.write(
    `the board of an event with ${winners} winners: ${held.toFixed(1)} MB of heap and buffers (${Math.round((held * 2 ** 20) / winners)} bytes a winner), read in ${Math.round(readMs)} ms; ` +
      `a stranger's answer from it ${Math.round(perAnswerNs)} ns (${soldOut} of ${answers} SOLD_OUT)  (load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')})\n`,
  );
} finally {
  await subscriber.close();
  for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1_000 }) as AsyncIterable<string[]>)
    if (keys.length) await redis.del(...keys);
  redis.disconnect();
}
