import test from 'ava';
import { ROOT } from '../core/platform/root.ts';
import { dependencyProblems, importsOf, readRepo, type PackageJson, type Repo } from '../scripts/deps.ts';

// The check `npm run lint` runs (scripts/check-deps.ts), here on this checkout with one thing changed.
const repo = readRepo(ROOT);
const withPackage = (change: (pkg: Required<Pick<PackageJson, 'dependencies' | 'devDependencies' | 'scripts'>>) => void): Repo => {
  const pkg = structuredClone(repo.pkg) as Required<Pick<PackageJson, 'dependencies' | 'devDependencies' | 'scripts'>>;
  change(pkg);
  return { ...repo, pkg };
};
const move = (from: Record<string, string>, to: Record<string, string>, name: string) => {
  to[name] = from[name]!;
  delete from[name];
};

test('this checkout declares exactly what it imports, each where it belongs', (t) => {
  t.deepEqual(dependencyProblems(repo), []);
});

test('a package declared and imported nowhere, or imported and not declared, is a problem', (t) => {
  t.deepEqual(
    dependencyProblems(
      withPackage((p) => {
        p.dependencies['@inkjs/ui'] = '^2.0.0';
      }),
    ),
    ['@inkjs/ui is declared in package.json but imported nowhere and run by no script'],
  );
  t.deepEqual(
    dependencyProblems(
      withPackage((p) => {
        delete p.devDependencies['z-schema'];
      }),
    ),
    ['z-schema is imported (tests/compose-prod.test.ts) but not declared in package.json'],
  );
});

test('what the image runs is a dependency; what only tests and tools use is a devDependency', (t) => {
  const [koa] = dependencyProblems(withPackage((p) => move(p.dependencies, p.devDependencies, 'koa')));
  t.regex(koa ?? '', /^koa is a devDependency, but the image ships code that imports it \(.*server\/app\.ts.*\): move it to dependencies$/);
  const [fc] = dependencyProblems(withPackage((p) => move(p.devDependencies, p.dependencies, 'fast-check')));
  t.regex(
    fc ?? '',
    /^fast-check is a dependency, but only code the image does not ship imports it \(.*tests\/.*\): move it to devDependencies$/,
  );
});

test('a command a script runs counts as used; types count only for a package without its own', (t) => {
  t.deepEqual(
    dependencyProblems(
      withPackage((p) => {
        p.scripts = {};
      }),
    ),
    [
      'node is declared in package.json but imported nowhere and run by no script',
      'prettier is declared in package.json but imported nowhere and run by no script',
    ],
  );
  t.deepEqual(
    dependencyProblems(
      withPackage((p) => {
        p.devDependencies['@types/koa__router'] = '^12.0.5';
      }),
    ),
    ['@types/koa__router is declared, but @koa/router ships its own types'],
  );
});

test('imports are read from every form a module names a package in', (t) => {
  const text = [
    "import a from 'pkg-a';",
    "import type { B } from '@scope/b/sub';",
    "import {\n  c,\n} from 'pkg-c/deep/path.js';",
    "export { d } from 'pkg-d';",
    "import 'pkg-e';",
    "const f = await import('pkg-f');",
    "const g = createRequire(import.meta.url).resolve('pkg-g/package.json');",
    "import { h } from 'node:fs'; import i from 'path'; import j from './local.ts';",
    "// import k from 'pkg-k'; and a string: \"import('pkg-l')\"",
  ].join('\n');
  t.deepEqual(Object.fromEntries(importsOf(text)), {
    'pkg-a': true,
    '@scope/b': false,
    'pkg-c': true,
    'pkg-d': true,
    'pkg-e': true,
    'pkg-f': true,
    'pkg-g': true,
  });
});
