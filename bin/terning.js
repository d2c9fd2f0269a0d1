#!/usr/bin/env node
// The `terning` command. It runs on Node >= 22: on an older node it hands itself to the Node 24 that
// `npm install` put in node_modules, so a fresh machine with Node 20 still runs it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  const bundled = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(bundled)) {
    console.error(`terning needs Node >= 22 (this is ${process.version}); run \`npm install\` to get Node 24`);
    process.exit(1);
  }
  const r = spawnSync(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

// The API's memory budget: V8's young generation and old space capped, so that a burst of 20,000
// applicants keeps `terning server` under 256 MB (V8 otherwise lets garbage pile up to 450 MB before it
// collects; docs/benchmark.md). Node reads these flags at start-up only, so the server process replaces
// itself with one that has them (process.execve: the same pid, no second process). Flags given by the
// operator (node flags or NODE_OPTIONS) win.
// The stock stream process holds 100,000 watchers at about 1.4 KB of heap each, 160 MB (server/stock-stream/),
// and makes almost no garbage: a larger old space, a small young generation.
const HEAP_FLAGS = {
  server: ['--max-semi-space-size=16', '--max-old-space-size=144'],
  'stock-stream': ['--max-semi-space-size=4', '--max-old-space-size=256'],
};
const heapFlags = HEAP_FLAGS[process.argv[2]];
if (
  heapFlags &&
  typeof process.execve === 'function' &&
  !`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.includes('--max-old-space-size')
) {
  process.execve(process.execPath, [process.execPath, ...heapFlags, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

// Datadog APM, when switched on, is loaded before anything it instruments (http, koa, ioredis, mysql2,
// kafkajs), with one service name per process: terning-server, terning-consumer, ...
if (/^(true|1)$/i.test(process.env.DD_TRACE_ENABLED ?? '')) {
  process.env.DD_SERVICE ??= `terning-${process.argv[2] ?? 'cli'}`;
  await import('dd-trace/initialize.mjs');
}

// TERNING_COMPILED=1 runs dist/terning.mjs (npm run build), as the image does; otherwise the
// TypeScript sources run as they are, through tsx.
let main;
if (/^(true|1)$/i.test(process.env.TERNING_COMPILED ?? '')) {
  const compiled = pathToFileURL(join(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'terning.mjs'));
  if (!existsSync(compiled)) {
    console.error('TERNING_COMPILED is set but dist/terning.mjs is missing: run `npm run build`');
    process.exit(1);
  }
  ({ main } = await import(compiled.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../cli/main.ts'));
}
await main(process.argv);
