import test from 'ava';
import { freePort } from '../infra/net.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from '../core/platform/root.ts';

// What a newcomer without root meets: as nobody, with a PATH that finds none of the tools.
const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
const NO_TOOLS = { PATH: '/nonexistent', HOME: '/nonexistent' };

const node = (args: string[], env: Record<string, string>) =>
  promisify(execFile)(process.execPath, args, { cwd: ROOT, env, ...asNobody }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

test('npm test stops at once, before any check or test, with the one command that installs what is missing', async (t) => {
  const started = Date.now();
  const result = await node(['--import', 'tsx', 'scripts/test.ts'], NO_TOOLS);
  t.is(result.code, 1, result.stderr);
  t.regex(
    result.stderr,
    /^npm test: .*\bchromium, tmux not installed\. As root, terning installs what is missing itself; otherwise run:\n {2}sudo apt-get update && sudo apt-get install -y [a-z0-9 .-]*\bchromium\b[a-z0-9 .-]*\n/m,
  );
  t.is(result.stderr.match(/apt-get install/g)?.length, 1, 'one command installs everything');
  t.is(result.stdout, '', 'nothing ran before it stopped');
  t.true(Date.now() - started < 60_000);
});

test("terning services up (npm start's first step) stops before starting anything, with the command for what it would start", async (t) => {
  // Redis on a free port: the one service that would have to be started.
  const redisUrl = `redis://127.0.0.1:${await freePort()}`;
  const result = await node(['bin/terning.js', 'services', 'up'], { ...NO_TOOLS, REDIS_URL: redisUrl, TERNING_HOME: '/nonexistent/home' });
  t.is(result.code, 5, result.stderr);
  t.regex(
    result.stderr,
    /^terning: starting [a-z, ]*\bredis\b[a-z, ]*: redis-server not installed\. As root, terning installs what is missing itself; otherwise run:\n {2}sudo apt-get update && sudo apt-get install -y redis-server\n$/,
  );
  t.notRegex(result.stdout, /starting at/);
});
