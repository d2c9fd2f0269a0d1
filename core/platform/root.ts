import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The top of the checkout (or of the image): the nearest folder above this module that holds
 * package.json. Files that ship beside the code (Lua scripts, migrations, the page's sources) are
 * found from here, so that they are found both when the TypeScript runs as it is and when it runs
 * compiled into dist/terning.mjs (npm run build).
 */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** A path under the top of the checkout. */
export const fromRoot = (...parts: string[]) => join(ROOT, ...parts);
