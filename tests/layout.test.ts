import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../core/platform/root.ts';

// The layout README promises (its folder table, use cases over adapters), checked against the tree.
const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && existsSync(join(ROOT, f)));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const folderTable = readme.slice(readme.indexOf('| folder | what it holds |'), readme.indexOf('## Read on'));
const source = (f: string) => readFileSync(join(ROOT, f), 'utf8');
const importsOf = (f: string) => [...source(f).matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
const TOP = tracked
  .map((f) => f.split('/'))
  .filter((p) => p.length > 1)
  .map((p) => p[0]!);

test("README's folder table names every top-level folder, and core/'s layers and their folders", (t) => {
  const folders = [...new Set(TOP)];
  t.true(folders.length > 10, folders.join(' '));
  for (const f of folders) t.true(folderTable.includes(`\`${f}/\``), `${f}/ is not in README's folder table`);
  const core = [
    ...new Set(
      tracked
        .filter((f) => f.startsWith('core/'))
        .map((f) => f.split('/').slice(0, 3))
        .filter((p) => p.length === 3)
        .map((p) => p.join('/')),
    ),
  ];
  for (const layer of ['core/domain', 'core/use-cases', 'core/adapters', 'core/platform'])
    t.true(
      core.some((c) => c.startsWith(`${layer}/`) || c === layer),
      `${layer} exists`,
    );
  for (const dir of new Set(tracked.filter((f) => /^core\/(use-cases|adapters)\/[^/]+\//.test(f)).map((f) => f.split('/')[2]!))) {
    t.true(folderTable.includes(`\`${dir}/\``), `core/*/${dir}/ is not described in README's folder table`);
  }
  t.deepEqual(
    tracked.filter((f) => /^core\/[^/]+\.ts$/.test(f)),
    ['core/stores.ts'],
    'core/ itself holds only the wiring',
  );
});

test('every path README and docs/ name exists', (t) => {
  const top = [...new Set(TOP)].join('|');
  const path = new RegExp(`(?<![\\w./-])(?:${top.replace(/\./g, '\\.')})/[\\w./-]*[\\w-]`, 'g');
  for (const doc of ['README.md', ...tracked.filter((f) => /^docs\/.*\.md$/.test(f))]) {
    for (const [p] of source(doc).matchAll(path)) {
      // A program's own paths (bin/kafka-topics.sh inside Kafka) and patterns are not the repo's.
      if (p.includes('*') || /^bin\/(?!terning\.js)/.test(p)) continue;
      t.true(existsSync(join(ROOT, p)), `${doc} names ${p}, which does not exist`);
    }
  }
});

test('use cases import no driver: Redis, Kafka, MySQL and SES are reached through core/adapters/', (t) => {
  const DRIVERS = /^(ioredis|kafkajs|sequelize|mysql2|@aws-sdk\/|rate-limiter-flexible)/;
  const cases = tracked.filter((f) => f.startsWith('core/use-cases/') && f.endsWith('.ts'));
  t.true(cases.length > 10);
  for (const f of cases)
    t.deepEqual(
      importsOf(f).filter((i) => DRIVERS.test(i)),
      [],
      f,
    );
});

test('edges import the core, never each other: the console and the CLI, the server and the consumer', (t) => {
  const edge = (f: string) => f.split('/')[0]!;
  const pairs: [string, string][] = [
    ['console', 'cli'],
    ['server', 'consumer'],
    ['consumer', 'server'],
    ['core', 'cli'],
    ['core', 'console'],
    ['core', 'server'],
    ['core', 'consumer'],
  ];
  for (const f of tracked.filter((x) => /\.(ts|tsx)$/.test(x))) {
    for (const spec of importsOf(f).filter((i) => i.startsWith('.'))) {
      const target = join(dirname(f), spec).split('/')[0]!;
      for (const [from, to] of pairs) t.false(edge(f) === from && target === to, `${f} imports ${spec}`);
    }
  }
});

/** Where each relative import of a file under core/ lands: its layer, and for an adapter its folder. */
const coreImports = (prefix: string) =>
  tracked
    .filter((f) => f.startsWith(prefix) && /\.tsx?$/.test(f))
    .flatMap((f) =>
      importsOf(f)
        .filter((i) => i.startsWith('.'))
        .map((spec) => ({ f, spec, target: join(dirname(f), spec) })),
    );
const layerOf = (p: string) => p.split('/').slice(0, 2).join('/');

test("core/'s layers point one way: domain <- platform <- adapters <- use cases", (t) => {
  const above: Record<string, string[]> = {
    'core/domain': ['core/platform', 'core/adapters', 'core/use-cases', 'core/stores.ts'],
    'core/platform': ['core/adapters', 'core/use-cases', 'core/stores.ts'],
    'core/adapters': ['core/use-cases', 'core/stores.ts'],
  };
  for (const [layer, banned] of Object.entries(above)) {
    const wrong = coreImports(`${layer}/`).filter((i) => banned.includes(layerOf(i.target)) || banned.includes(i.target));
    t.deepEqual(
      wrong.map((i) => `${i.f} imports ${i.spec}`),
      [],
      `${layer} imports nothing above it`,
    );
  }
  t.deepEqual(
    coreImports('core/domain/')
      .filter((i) => layerOf(i.target) !== 'core/domain')
      .map((i) => `${i.f} imports ${i.spec}`),
    [],
    'the domain imports nothing',
  );
});

test('an adapter imports no other adapter: each service is reached through its own folder', (t) => {
  const folder = (p: string) => p.split('/')[2];
  const wrong = coreImports('core/adapters/').filter(
    (i) => layerOf(i.target) === 'core/adapters' && i.target.split('/').length > 3 && folder(i.target) !== folder(i.f),
  );
  t.deepEqual(
    wrong.map((i) => `${i.f} imports ${i.spec}`),
    [],
  );
});

test('every file the unit tier (`npm run test:unit`) names exists', async (t) => {
  const { UNIT_TESTS } = (await import(pathToFileURL(join(ROOT, 'ava.config.js')).href)) as { UNIT_TESTS: string[] };
  t.true(UNIT_TESTS.length > 10);
  // ava runs the files a list names and skips the names that match nothing, without a word.
  t.deepEqual(
    UNIT_TESTS.filter((f) => !tracked.includes(f)),
    [],
    "ava.config.js's UNIT_TESTS names files that do not exist",
  );
});
