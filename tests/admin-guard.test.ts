import test from 'ava';
import { METHODS } from 'node:http';
import { startSystem, newEvent, rand, randomEventId, type System } from './support/system.ts';
import { http, rawHttp, type RawAnswer } from './support/http.ts';
import { spellings } from './support/spellings.ts';
import { routesOf, type Route } from '../server/routes/dispatch.ts';
import type { Surface } from '../server/app.ts';

/**
 * The admin routes are read from the running apps, so a route added tomorrow is walked too: every
 * route not listed here as open is the operator's, and must answer nothing without X-ADMIN-KEY, under
 * any spelling of its path and any method.
 */
const PUBLIC = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /',
  'GET /assets/:name',
  'POST /api/auth/send-verification-code',
  'POST /api/auth/verify-code',
  'GET /api/event',
  'POST /api/event/apply',
  'GET /api/event/status',
  'GET /api/event/status/stream',
  'GET /api/events/:eventId',
  'POST /api/events/:eventId/apply',
  'GET /api/events/:eventId/status',
  'GET /api/events/:eventId/status/stream',
  // The public logs and their keys: for anyone to check (docs/proof-of-place.md).
  'GET /.well-known/jwks.json',
  'GET /api/event/stream',
  'GET /api/events/:eventId/stream',
  ...['/api/event/log', '/api/events/:eventId/log'].flatMap((base) =>
    ['checkpoint', 'entries', 'proof', 'consistency'].map((r) => `GET ${base}/${r}`),
  ),
]);
/** Prometheus scrapes /metrics without the key where no one else can reach it: the admin port. */
const OPEN_ON: Record<Surface, Set<string>> = { all: new Set(), public: new Set(), admin: new Set(['GET /metrics']) };

const key = (r: Route) => `${r.methods.filter((m) => m !== 'HEAD').join(',')} ${r.path}`;
const adminRoutes = (surface: Surface, app: System['api']['apps'][number]['app']) =>
  routesOf(app).filter((r) => !PUBLIC.has(key(r)) && !OPEN_ON[surface].has(key(r)));

/** What an attacker would send to change something, by the route's last word. */
const bodyFor = (path: string, newId: string): string =>
  JSON.stringify(
    path.endsWith('/stock')
      ? { count: 9_999 }
      : path.endsWith('/events')
        ? { id: newId, name: 'taken over', totalStock: 9_999 }
        : path.endsWith('/replay')
          ? { all: true }
          : {},
  );

const ADMIN_DATA = /"(remainingStock|totalStock|entries|deadLetters|events|replayed)"|^terning_|# HELP/m;

interface Target {
  url: string;
  routes: Route[];
  methods: readonly string[];
}

let single: System;
let split: System;
let eventId: string;
const targets = new Map<string, Target>();
const ONE_PORT = 'one port (createApp "all")';
const ADMIN_PORT = 'ADMIN_PORT (createApp "admin")';
// The public port has no admin route of its own: the admin port's must not be found there either.
const PUBLIC_PORT = 'the public port beside ADMIN_PORT';

test.before(async () => {
  const env = { TRUST_PROXY: 'true', LIMIT_ADMIN_FAILURES_PER_IP_PER_15_MINUTES: '3' };
  [single, split] = await Promise.all([
    startSystem({ consumer: false, env }),
    startSystem({ consumer: false, env: { ...env, ADMIN_PORT: '0' } }),
  ]);
  eventId = await newEvent(single, 5, false);
  const app = (sys: System, surface: Surface) => sys.api.apps.find((a) => a.surface === surface)!;
  const [all, admin, publicApp] = [app(single, 'all'), app(split, 'admin'), app(split, 'public')];
  targets.set(ONE_PORT, { url: all.url, routes: adminRoutes('all', all.app), methods: METHODS });
  targets.set(ADMIN_PORT, { url: admin.url, routes: adminRoutes('admin', admin.app), methods: METHODS });
  // No admin route there: what an admin path's spelling could reach is a public route or nothing, so
  // the admin routes' own methods and a few others cover it.
  targets.set(PUBLIC_PORT, {
    url: publicApp.url,
    routes: adminRoutes('admin', admin.app),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'TRACE', 'PROPFIND'],
  });
});
test.after.always(async () => {
  await Promise.all([single?.stop(), split?.stop()]);
});

let ip = 0;
/** Each request from an address of its own, so the lockout never answers in the guard's place. */
const nextIp = () => `10.${(++ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`;

async function inParallel<T>(items: T[], run: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

/** What the operator sees of both systems: the test's event, each default event, each dead letter queue. */
async function adminState() {
  return Promise.all(
    [single, split].map(async (sys) => {
      const admin = { adminKey: sys.config.adminKey, headers: { 'X-Forwarded-For': nextIp() } };
      return {
        event: (await http(sys.adminUrl, 'GET', `/api/admin/events/${eventId}`, admin)).body,
        defaultEvent: (await http(sys.adminUrl, 'GET', '/api/admin/event', admin)).body,
        deadLetters: (await http(sys.adminUrl, 'GET', '/api/admin/dlq', admin)).body,
      };
    }),
  );
}

for (const name of [ONE_PORT, ADMIN_PORT, PUBLIC_PORT]) {
  const methods = name === PUBLIC_PORT ? 'their own methods and others' : 'every method';
  test.serial(`${name}: every admin route refuses every spelling of its path, under ${methods}, without the key`, async (t) => {
    const target = targets.get(name)!;
    t.true(target.routes.length >= 10, `only ${target.routes.length} admin routes found`);
    const trail = `guard-${rand()}`;
    const newId = randomEventId();
    const before = await adminState();
    const leaks: string[] = [];
    let sent = 0;
    const requests = target.routes.flatMap((r) =>
      spellings(r.path, eventId).flatMap((path) => target.methods.map((method) => ({ method, path }))),
    );
    await inParallel(requests, async ({ method, path }) => {
      const withBody = method !== 'GET' && method !== 'HEAD';
      const a: RawAnswer = await rawHttp(target.url, method, path, {
        headers: {
          'X-Forwarded-For': nextIp(),
          'X-Request-Id': `${trail}-${++sent}`,
          ...(withBody ? { 'Content-Type': 'application/json' } : {}),
        },
        body: withBody ? bodyFor(path, newId) : undefined,
      });
      if ((a.status >= 200 && a.status < 400) || ADMIN_DATA.test(a.text))
        leaks.push(`${method} ${path} answered ${a.status} ${a.text.slice(0, 120)}`);
    });
    t.log(`${sent} requests`);
    t.deepEqual(leaks.slice(0, 20), [], `${leaks.length} answers gave something away`);

    t.deepEqual(await adminState(), before, 'the event, the default events and the dead letters are as they were');
    const admin = { adminKey: single.config.adminKey, headers: { 'X-Forwarded-For': nextIp() } };
    t.is((await http(single.url, 'GET', `/api/admin/events/${newId}`, admin)).status, 404, 'no event was created');
    const { entries } = (await http(single.url, 'GET', '/api/admin/audit?limit=10000', admin)).body;
    t.deepEqual(
      entries.filter((e: { requestId: string }) => e.requestId?.startsWith(trail)),
      [],
      'the audit trail holds none of these requests',
    );
  });
}

test.serial('an address locked out for wrong keys is refused the right key under every spelling', async (t) => {
  for (const [sys, name] of [
    [single, ONE_PORT],
    [split, ADMIN_PORT],
  ] as const) {
    const locked = { 'X-Forwarded-For': nextIp() };
    for (let i = 0; i < 3; i++) await http(sys.adminUrl, 'GET', '/api/admin/events', { adminKey: `guess-${i}`, headers: locked });
    const answers: string[] = [];
    await inParallel(
      targets.get(name)!.routes.flatMap((r) => spellings(r.path, eventId).flatMap((path) => r.methods.map((method) => ({ method, path })))),
      async ({ method, path }) => {
        const a = await rawHttp(sys.adminUrl, method, path, { headers: { ...locked, 'X-ADMIN-KEY': sys.config.adminKey } });
        if (![404, 429].includes(a.status)) answers.push(`${method} ${path} answered ${a.status} ${a.text.slice(0, 120)}`);
      },
    );
    t.deepEqual(answers, [], 'a path that reaches an admin route meets the lockout (429); every other spelling is no endpoint (404)');
  }
});
