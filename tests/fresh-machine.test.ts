import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from '../core/root.ts';

test('anyone but root is stopped by npm test at once, before any check or test, with the one command to run', async (t) => {
  // As nobody, with a PATH that finds none of the tools: what a newcomer without root meets.
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const started = Date.now();
  const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/test.ts'], {
    cwd: ROOT, env: { PATH: '/nonexistent', HOME: '/nonexistent' }, ...asNobody,
  }).then(() => ({ code: 0, stdout: '', stderr: '' }), (e: { code: number; stdout: string; stderr: string }) => e);
  t.is(result.code, 1, result.stderr);
  t.regex(result.stderr, /^npm test: .*\bchromium, tmux not installed\. As root, terning installs what is missing itself; otherwise run:\n {2}sudo apt-get update && sudo apt-get install -y [a-z0-9 .-]*\bchromium\b[a-z0-9 .-]*\n/m);
  t.is(result.stderr.match(/apt-get install/g)?.length, 1, 'one command installs everything');
  t.is(result.stdout, '', 'nothing ran before it stopped');
  t.true(Date.now() - started < 60_000);
});
