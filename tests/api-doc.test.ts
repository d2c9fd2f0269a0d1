import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../core/platform/root.ts';

// docs/api.md lists every error code the API can answer, checked against the code that answers them.
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');
const sources = execFileSync('git', ['ls-files', 'server', 'core'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f.endsWith('.ts') && !f.startsWith('server/page/'));
const CODE = /['"]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)['"]/g;
/** Literals shaped like an error code that no client is ever told: settings, script results, Node's own error codes. */
const NOT_ANSWERS = new Set([
  'ADMIN_KEY_FILE',
  'JWT_SECRET_FILE',
  'PROOF_KEYS',
  'PERSON_SPENT',
  'NETWORK_SPENT',
  'ALL_SPENT',
  'NO_EVENT',
  'NOT_HELD',
  'NOT_REVOKED',
  'BELOW_WINNERS',
  'IN_FORCE',
  'WRONG_MARKER',
  'NOT_OWNED',
  'ERR_HTTP_REQUEST_TIMEOUT',
  'HPE_HEADER_OVERFLOW',
]);

test('docs/api.md (or docs/proof-of-place.md, for the public log) names every error code the API answers', (t) => {
  const docs = read('docs/api.md') + read('docs/proof-of-place.md');
  const codes = new Set(sources.flatMap((f) => [...read(f).matchAll(CODE)].map((m) => m[1]!)));
  t.true(codes.has('SOLD_OUT') && codes.has('SERVICE_BUSY'), 'the codes are found');
  t.deepEqual(
    [...codes].filter((c) => !NOT_ANSWERS.has(c) && !docs.includes(c)).sort(),
    [],
    'answered by the API, missing from the docs (or, if no client is ever told it, add it to NOT_ANSWERS)',
  );
});
