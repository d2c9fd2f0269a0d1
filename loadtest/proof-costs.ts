import { createServer, request, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign } from 'jose';
import { loadavg } from 'node:os';
import { parseProofKeys, newKeysFile } from '../core/adapters/keys/proof-keys.ts';
import { JwsSigner } from '../core/adapters/keys/jws.ts';
import { Receipts } from '../core/use-cases/proof/receipts.ts';
import { winnerClaims } from '../core/use-cases/proof/entries.ts';
import { StockWatch } from '../core/use-cases/participant/stock-watch.ts';
import { conflict } from '../core/platform/errors.ts';
import { soldOutAnswer } from '../server/apply/1-sold-out-answer.ts';
import { loadConfig } from '../core/platform/config.ts';
import { Metrics } from '../core/platform/metrics.ts';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';
import type { ServerDeps } from '../server/deps.ts';
import { ErrorCode } from '../core/domain/errors.ts';

/**
 * `npm run bench -- --scenario proof`: what issue 22 adds to the winners' path and to the herd's, each
 * measured in this process on loopback: a receipt per winner, the sold-out answer with and without
 * the signed statement in it, and the stock stream's fan-out per watcher.
 */
const say = (s: string) =>
  process.stdout.write(
    `[bench:proof] ${s}  (load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})\n`,
  );
const keys = parseProofKeys(newKeysFile(), 'bench');
const receipts = new Receipts(new JwsSigner(keys), keys.nonceSecret);

/**
 * CPU per receipt, 2,000 signed at once as a drop's winners are: the signer terning uses
 * (core/adapters/keys/jws.ts) beside jose's CompactSign, which signs the same bytes through WebCrypto.
 */
async function receiptCost(n: number): Promise<{ signer: number; jose: number }> {
  const header = { alg: 'EdDSA', kid: keys.signer.kid, typ: 'terning-receipt+jws' };
  const byJose = (i: number) =>
    new CompactSign(Buffer.from(JSON.stringify(winnerClaims(keys.nonceSecret, 'bench', i + 1, 1_800_000_000_000 + i, `p${i}@bench.test`))))
      .setProtectedHeader(header)
      .sign(keys.signer.privateKey);
  const byReceipts = (i: number) => receipts.forWinner('bench', i + 1, 1_800_000_000_000 + i, `p${i}@bench.test`);
  const cpuPer = async (one: (i: number) => Promise<string>) => {
    await Promise.all(Array.from({ length: 500 }, (_, i) => one(i)));
    const before = process.cpuUsage();
    for (let i = 0; i < n; i += 2_000) await Promise.all(Array.from({ length: Math.min(2_000, n - i) }, (_, j) => one(i + j)));
    const used = process.cpuUsage(before);
    return (used.user + used.system) / n;
  };
  return { signer: await cpuPer(byReceipts), jose: await cpuPer(byJose) };
}

/** The sold-out answer ahead of Koa, as server/apply/1-sold-out-answer.ts writes it, driven over loopback. */
async function soldOutCost(
  statement: string | undefined,
  requests: number,
  connections: number,
): Promise<{ usPerAnswer: number; bytes: number; perSecond: number }> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  const tokens = new Tokens(config.jwt);
  const token = await tokens.issue('late@bench.test');
  const refusal = conflict(ErrorCode.SOLD_OUT, 'all the gifts are gone', statement === undefined ? undefined : { statement });
  const deps = {
    config,
    tokens,
    metrics: new Metrics('bench-proof'),
    applications: { soldOutFromMemory: () => refusal },
  } as unknown as ServerDeps;
  const koa = (_: IncomingMessage, res: ServerResponse) => res.writeHead(500).end();
  const server = createServer(soldOutAnswer(deps, koa));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let bytes = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method: 'POST', path: '/api/event/apply', agent, headers: { Authorization: `Bearer ${token}` } },
        (res) => {
          res.on('data', (c: Buffer) => (bytes = c.length));
          res.on('end', () => (res.statusCode === 409 ? resolve() : reject(new Error(`answered ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end();
    });
  const run = async (n: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next++ < n) await one();
      }),
    );
  };
  await run(2_000);
  const cpu = process.cpuUsage();
  const t = performance.now();
  await run(requests);
  const wall = performance.now() - t;
  const used = process.cpuUsage(cpu);
  agent.destroy();
  await new Promise((r) => server.close(r));
  return { usPerAnswer: (used.user + used.system) / requests, bytes, perSecond: Math.round(requests / (wall / 1_000)) };
}

/** One stock frame written to `watchers` open SSE sockets on loopback, as the stock stream writes it. */
async function fanOutCost(watchers: number): Promise<{ ms: number; usPerWatcher: number }> {
  let remaining = 100;
  const watch = new StockWatch(async () => ({ remaining, total: 100, soldOut: remaining === 0 }));
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    const stop = watch.watch(
      'bench',
      (f) => res.write(f),
      () => res.end(),
    );
    res.once('close', stop);
  });
  server.maxConnections = watchers + 10;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: watchers });
  const open = await Promise.all(
    Array.from(
      { length: watchers },
      () =>
        new Promise<IncomingMessage>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
            res.on('data', () => {});
            resolve(res);
          });
          req.on('error', reject);
          req.end();
        }),
    ),
  );
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    remaining--;
    await new Promise((r) => setTimeout(r, 400));
    if (watch.lastFanOut.watchers === watchers) samples.push(watch.lastFanOut.ms);
  }
  watch.close();
  for (const r of open) r.destroy();
  agent.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  samples.sort((a, b) => a - b);
  const ms = samples[Math.floor(samples.length / 2)] ?? NaN;
  return { ms, usPerWatcher: (ms * 1_000) / watchers };
}

export async function proofCosts(): Promise<void> {
  const r = await receiptCost(5_000);
  say(
    `receipt per winner: ${r.signer.toFixed(1)} us of CPU, 2,000 signed at once (jose's CompactSign for the same bytes: ${r.jose.toFixed(1)} us)`,
  );
  const statement = await receipts.soldOut({ event: 'bench', units: 100, lastTicket: 100, at: 1_800_000_000_000 });
  const rounds = 3;
  const without: number[] = [];
  const withIt: number[] = [];
  let sizes = [0, 0];
  for (let i = 0; i < rounds; i++) {
    const a = await soldOutCost(undefined, 20_000, 200);
    const b = await soldOutCost(statement, 20_000, 200);
    without.push(a.usPerAnswer);
    withIt.push(b.usPerAnswer);
    sizes = [a.bytes, b.bytes];
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  say(
    `sold-out answer, CPU per answer (server and loopback client in one process, median of ${rounds}): ${med(without).toFixed(1)} us without the statement (${sizes[0]} B body), ${med(withIt).toFixed(1)} us with it (${sizes[1]} B body): ${((med(withIt) / med(without) - 1) * 100).toFixed(1)}%`,
  );
  for (const n of [1_000, 5_000]) {
    const f = await fanOutCost(n);
    say(
      `stock stream: one frame to ${n} watchers in ${f.ms.toFixed(1)} ms, ${f.usPerWatcher.toFixed(2)} us a watcher; at 100,000 watchers about ${((f.usPerWatcher * 100_000) / 1_000).toFixed(0)} ms a frame, so frames come every ${Math.max(250, (f.usPerWatcher * 100_000) / 1_000 / 0.2).toFixed(0)} ms at most (a fifth of a core)`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await proofCosts();
