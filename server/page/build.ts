import { buildSync } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fromRoot } from '../../core/platform/root.ts';

export interface Asset {
  body: Buffer;
  type: string;
}
export interface PageBuild {
  html: string;
  etag: string;
  assets: Map<string, Asset>;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const here = (path: string) => fromRoot('server/page', path);

/**
 * Builds the page in memory with esbuild (a dependency of tsx, so there on every install, the
 * Docker image included): one script and one stylesheet, named by the hash of their content, and the
 * HTML that names them. It runs once, when the server starts: there is no build step to forget.
 */
export function buildPage(): PageBuild {
  const result = buildSync({
    entryPoints: [here('./src/main.ts'), here('./src/style.css')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    outdir: here('./dist'),
    entryNames: '[name]-[hash]',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const assets = new Map<string, Asset>();
  let js = '';
  let css = '';
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    const ext = name.slice(name.lastIndexOf('.'));
    assets.set(name, { body: Buffer.from(file.contents), type: TYPES[ext] ?? 'application/octet-stream' });
    if (ext === '.js') js = name;
    if (ext === '.css') css = name;
  }
  const html = readFileSync(here('./index.html'), 'utf8').replace('%%JS%%', js).replace('%%CSS%%', css);
  const etag = `"${createHash('sha256').update(html).digest('base64url').slice(0, 22)}"`;
  return { html, etag, assets };
}
