// `npm run lint`: ESLint's and typescript-eslint's recommended rules over every source file; then
// scripts/check-deps.ts holds package.json to what the code imports.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['node_modules/', 'dist/', 'artifacts/', '.terning/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    // Type information, for the rules that matter most in code this asynchronous: a promise nobody
    // awaits or handles, a promise where a callback's result is ignored, an await on what is no promise.
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    languageOptions: { globals: globals.node },
    rules: {
      // `const { key: _, ...rest } = o` is how a key is left out; `_what` names a parameter left unused.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_' }],
      // A `stop` closure may name what is opened after it is defined: the `let` is on purpose.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // The helpers hand a test whatever JSON the server sent; each test asserts the shape it reads.
    files: ['tests/support/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The page's DOM listeners and timers are async on purpose: each handles its own failures and
    // shows them; the browser, not Node, would report what escapes.
    files: ['server/page/src/**'],
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }] },
  },
  {
    // k6 runs these, not Node.
    files: ['loadtest/k6/**/*.js'],
    languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly' } },
  },
);
