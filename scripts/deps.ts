/**
 * package.json declares exactly what the code uses: every package a source file imports is declared,
 * in `dependencies` when a file the image ships imports it (the image installs only those) and in
 * `devDependencies` otherwise; every declared package is imported somewhere, or is a command that a
 * package.json script runs, or the types of a declared package that has none of its own.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

export interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
  bin?: string | Record<string, string>;
  types?: string;
  typings?: string;
}

export interface Repo {
  pkg: PackageJson;
  /** Source files, by path from the top of the checkout (with `/`), and what each imports (importsOf). */
  files: { path: string; imports: Map<string, boolean> }[];
  /** What the Dockerfile copies into the image: folders and files, from the top of the checkout. */
  shipped: string[];
  /** The package.json of an installed package. */
  installed(name: string): PackageJson | undefined;
  /** Whether an installed package ships its own type declarations. */
  hasOwnTypes(name: string): boolean;
}

const SOURCE = /\.(ts|tsx|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'artifacts', '.terning', '.git']);
// k6 runs these scripts, not Node: `k6/http` and friends are k6's own modules.
const NOT_NODE = ['loadtest/k6/'];

/** The package a module specifier names, or undefined for a relative path or a Node builtin. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

/** Each package a source file imports, and whether it needs the package at run time (not types only). */
export function importsOf(text: string, path = 'file.ts'): Map<string, boolean> {
  const found = new Map<string, boolean>();
  const add = (specifier: ts.Node | undefined, typesOnly = false) => {
    const name = specifier && ts.isStringLiteralLike(specifier) ? packageOf(specifier.text) : undefined;
    if (name) found.set(name, found.get(name) === true || !typesOnly);
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, node.importClause?.isTypeOnly);
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, node.isTypeOnly);
    else if (ts.isCallExpression(node) && isImportOrRequire(node.expression)) add(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(path, text, ts.ScriptTarget.Latest));
  return found;
}

/** import(), require(), require.resolve() and createRequire(...).resolve(). */
function isImportOrRequire(callee: ts.Expression): boolean {
  if (callee.kind === ts.SyntaxKind.ImportKeyword) return true;
  if (ts.isIdentifier(callee)) return callee.text === 'require';
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'resolve') return false;
  const of = callee.expression;
  return (
    (ts.isIdentifier(of) && of.text === 'require') ||
    (ts.isCallExpression(of) && ts.isIdentifier(of.expression) && of.expression.text === 'createRequire')
  );
}

/** `@types/koa__router` types `@koa/router`. */
const typed = (typesPackage: string) => {
  const name = typesPackage.slice('@types/'.length);
  return name.includes('__') ? `@${name.replace('__', '/')}` : name;
};

const isShipped = (path: string, shipped: string[]) => shipped.some((s) => path === s || path.startsWith(`${s}/`));
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function dependencyProblems(repo: Repo): string[] {
  const problems: string[] = [];
  const deps = Object.keys(repo.pkg.dependencies ?? {});
  const devDeps = Object.keys(repo.pkg.devDependencies ?? {});
  const declared = new Set([...deps, ...devDeps]);
  const importedBy = new Map<string, string[]>();
  const neededShipped = new Set<string>();
  for (const file of repo.files) {
    if (NOT_NODE.some((dir) => file.path.startsWith(dir))) continue;
    for (const [name, atRunTime] of file.imports) {
      importedBy.set(name, [...(importedBy.get(name) ?? []), file.path]);
      if (atRunTime && isShipped(file.path, repo.shipped)) neededShipped.add(name);
    }
  }

  for (const [name, files] of importedBy) {
    if (!declared.has(name)) problems.push(`${name} is imported (${files.join(', ')}) but not declared in package.json`);
  }
  for (const name of neededShipped) {
    if (devDeps.includes(name))
      problems.push(
        `${name} is a devDependency, but the image ships code that imports it (${importedBy
          .get(name)!
          .filter((f) => isShipped(f, repo.shipped))
          .join(', ')}): move it to dependencies`,
      );
  }
  for (const name of deps) {
    if (importedBy.has(name) && !neededShipped.has(name))
      problems.push(
        `${name} is a dependency, but only code the image does not ship imports it (${importedBy.get(name)!.join(', ')}): move it to devDependencies`,
      );
  }

  const commands = Object.values(repo.pkg.scripts ?? {}).join('\n');
  const runs = (name: string) => {
    if (new RegExp(`--import[= ]${escape(name)}(\\s|$)`, 'm').test(commands)) return true;
    const bin = repo.installed(name)?.bin;
    const bins = typeof bin === 'string' ? [name.split('/').pop()!] : Object.keys(bin ?? {});
    return bins.some((b) => new RegExp(`(^|[\\s;&|(])${escape(b)}(\\s|$)`, 'm').test(commands));
  };
  for (const name of declared) {
    if (importedBy.has(name)) continue;
    if (name.startsWith('@types/')) {
      const of = typed(name);
      if (of === 'node') continue;
      if (!declared.has(of)) problems.push(`${name} is declared, but ${of} is not`);
      else if (repo.hasOwnTypes(of)) problems.push(`${name} is declared, but ${of} ships its own types`);
      continue;
    }
    if (!runs(name)) problems.push(`${name} is declared in package.json but imported nowhere and run by no script`);
  }
  return problems;
}

function sourceFiles(root: string, dir = root): Repo['files'] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return SKIP_DIRS.has(entry.name) ? [] : sourceFiles(root, full);
    if (!SOURCE.test(entry.name)) return [];
    const path = relative(root, full).split(sep).join('/');
    return [{ path, imports: importsOf(readFileSync(full, 'utf8'), path) }];
  });
}

/** The checkout at `root` as the check sees it. */
export function readRepo(root: string): Repo {
  const readJson = (path: string) => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as PackageJson) : undefined);
  const installedDir = (name: string) => join(root, 'node_modules', name);
  // `COPY <src>... <dest>` lines, less the stage-to-stage copies (--from=...).
  const shipped = [...readFileSync(join(root, 'Dockerfile'), 'utf8').matchAll(/^COPY\s+(?!--)(.+)\s+\S+\s*$/gm)]
    .flatMap((m) => m[1]!.split(/\s+/))
    .map((s) => s.replace(/^\.\//, '').replace(/\/$/, ''));
  return {
    pkg: readJson(join(root, 'package.json'))!,
    files: sourceFiles(root),
    shipped,
    installed: (name) => readJson(join(installedDir(name), 'package.json')),
    hasOwnTypes: (name) => {
      const p = readJson(join(installedDir(name), 'package.json'));
      return Boolean(p?.types || p?.typings) || existsSync(join(installedDir(name), 'index.d.ts'));
    },
  };
}
