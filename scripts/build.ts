/**
 * `npm run build`: the whole `terning` command compiled into dist/terning.mjs and its chunks, the way the
 * image runs it (TERNING_COMPILED=1, see bin/terning.js). The packages stay in node_modules; only
 * terning's own TypeScript is compiled and joined. Running the sources through tsx costs each process
 * about 40 MB more (its loader thread, every module's source map) and a slower start.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const OUT = fileURLToPath(new URL('../dist', import.meta.url));
export const COMPILED = fileURLToPath(new URL('../dist/terning.mjs', import.meta.url));

export async function buildCompiled(): Promise<string> {
  await build({
    entryPoints: [{ in: fileURLToPath(new URL('../cli/main.ts', import.meta.url)), out: 'terning' }],
    outdir: OUT,
    outExtension: { '.js': '.mjs' },
    // What a command loads when it runs (the server, the consumer, the console) stays in chunks of
    // its own, loaded then: one file would load every command's packages in every process.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    jsx: 'automatic',
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
  return COMPILED;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildCompiled();
  console.log(`built ${out}`);
}
