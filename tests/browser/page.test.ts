import test from 'ava';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { startSystem, newEvent, randomEmail, testLog, type System } from '../support/system.ts';
import { http } from '../support/http.ts';
import { readCode } from '../support/ses.ts';
import { ConsumerProcess } from '../../consumer/process.ts';
import { launchChromium } from './support/chromium.ts';
import { Redis } from 'ioredis';
import { signInKeys } from '../../core/adapters/redis/keys.ts';
import { openStores } from '../../core/stores.ts';
import { personOf } from '../../core/use-cases/participant/identity.ts';
import { encodeApplication } from '../../core/adapters/kafka/codec.ts';
import { produceRaw } from '../support/kafka.ts';

const SHOTS = 'artifacts/screenshots';
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

// Serial, on one system with no consumer at first: the gate decides at arrival, so results need none.
// The tests of an unconfirmed win (PENDING) start one to persist it.
let sys: System;
let browser: Browser;
test.before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  sys = await startSystem({ consumer: false, env: { CODE_RESEND_SECONDS: '60' } });
  browser = await launchChromium();
});
// Each test's pages stop when it ends: a page left open keeps asking the server, and a request of its
// cut off by the teardown would be an unhandled rejection of no test.
const contexts: BrowserContext[] = [];
test.afterEach.always(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => {})));
});
test.after.always(async () => {
  await browser?.close();
  await sys?.stop();
});

const admin = () => ({ adminKey: sys.config.adminKey });

/**
 * A fresh context (its own localStorage) on the page of one event; optionally already verified, and
 * (applied) as someone whose apply was answered before a reload.
 */
async function open(
  eventId: string,
  opts: {
    viewport?: typeof PHONE;
    email?: string;
    lang?: 'en';
    applied?: boolean;
    before?: (context: BrowserContext) => Promise<void>;
  } = {},
) {
  const context = await browser.newContext({ viewport: opts.viewport ?? PHONE, locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  contexts.push(context);
  const token = opts.email ? await sys.tokens.issue(opts.email) : '';
  if (opts.email) {
    const session = { email: opts.email, token, expiresAt: Date.now() + 600_000 };
    await context.addInitScript((s) => localStorage.setItem('terning.session', s), JSON.stringify(session));
  }
  if (opts.applied) {
    await context.addInitScript(
      ([key, email]) => localStorage.setItem(key!, email!),
      [`terning.applied.${eventId}`, JSON.stringify(opts.email)],
    );
  }
  if (opts.lang) await context.addInitScript(() => localStorage.setItem('terning.lang', 'en'));
  await opts.before?.(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const requests: string[] = [];
  page.on('request', (r: Request) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
  await page.goto(`${sys.url}/?event=${eventId}`);
  return { context, page, errors, requests, token };
}

/** A win whose hand-off to Kafka was never confirmed (its API died between the gate and the ack). */
async function unconfirmedWin(eventId: string, email: string): Promise<{ ticket: number; decidedAt: number }> {
  const stores = openStores(sys.config);
  try {
    const [gate] = await stores.scripts.applyMany(eventId, [personOf(email)], Date.now());
    if (gate?.kind !== 'new') throw new Error(`expected a reservation, got ${gate?.kind}`);
    return { ticket: gate.ticket, decidedAt: gate.decidedAt };
  } finally {
    await stores.close();
  }
}

/** Its record reaches Kafka after all, and a consumer persists it. */
async function persist(eventId: string, email: string, win: { ticket: number; decidedAt: number }) {
  await produceRaw(sys.config, [encodeApplication({ eventId, person: personOf(email), email, ...win })]);
  const consumer = new ConsumerProcess(sys.config, { retryBaseMs: 100, sendEmails: false }, testLog());
  sys.consumer = consumer;
  await consumer.start();
}

async function stopConsumer() {
  await sys.consumer?.stop();
  sys.consumer = undefined;
}

const applyPath = (eventId: string) => `POST /api/events/${eventId}/apply`;
const infoPath = (eventId: string) => `GET /api/events/${eventId}`;
const count = (requests: string[], r: string) => requests.filter((x) => x === r).length;

const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
const text = (page: Page, selector: string) => page.locator(selector).innerText();

async function verifyByEmail(page: Page, email: string, opts: { keyboard?: boolean } = {}) {
  if (opts.keyboard) {
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expectFocus(await page.evaluate(() => document.activeElement?.id), 'email');
    await page.keyboard.type(email);
    await page.keyboard.press('Enter');
  } else {
    await page.fill('#email', email);
    await page.click('#send');
  }
  await page.locator('#step-code').waitFor();
  const code = await readCode(email);
  if (opts.keyboard) {
    expectFocus(await page.evaluate(() => document.activeElement?.id), 'code');
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
  } else {
    await page.fill('#code', code);
    await page.click('#verify');
  }
  await page.locator('#step-apply').waitFor();
}

function expectFocus(actual: unknown, expected: unknown) {
  if (actual !== expected) throw new Error(`focus is on ${String(actual)}, expected ${String(expected)}`);
}

test.serial('not open yet: a countdown on the server clock, and the button turns on by itself', async (t) => {
  const eventId = await newEvent(sys, 5, false);
  const { page, errors, requests } = await open(eventId, { email: randomEmail('early') });
  const opensAt = new Date(Date.now() + 4_000).toISOString();
  const scheduled = await http(sys.url, 'POST', `/api/admin/events/${eventId}/open`, { ...admin(), body: { at: opensAt } });
  t.is(scheduled.body.state, 'scheduled');
  await page.reload();

  const apply = page.locator('#apply');
  await page.locator('#countdown').waitFor();
  t.true(await apply.isDisabled());
  t.regex(await text(page, '#countdown-value'), /^00:0[1-4]$/);
  t.regex(await text(page, '#event-state'), /오픈/);
  await shot(page, 'phone-countdown');

  const loads = requests.filter((r) => r === 'GET /').length;
  await page.waitForFunction(() => !(document.getElementById('apply') as HTMLButtonElement).disabled, null, { timeout: 10_000 });
  t.true(Date.now() >= Date.parse(opensAt) - 1_000, 'not before the opening (give or take the round trip)');
  t.is(requests.filter((r) => r === 'GET /').length, loads, 'no reload was needed');
  t.is(await text(page, '#apply'), '응모하기');
  t.regex(await text(page, '#msg-apply'), /지금 응모할 수 있어요/);
  t.true(await page.locator('#countdown').isHidden());
  t.deepEqual(errors, []);
});

test.serial('the result comes with the apply answer: WON at once, nothing to wait for, no stream and no polling', async (t) => {
  const eventId = await newEvent(sys, 1);
  const { page, errors, requests } = await open(eventId, { email: randomEmail('won') });
  await page.locator('#step-apply').waitFor();
  await page.click('#apply');
  await page.locator('#step-result[data-status="WON"]').waitFor();
  t.is(await text(page, '#result-title'), '당첨되었어요!');
  t.regex(await text(page, '#result-ticket'), /접수 순번 1번/);
  t.regex(await text(page, '#result-decided'), /결정 시각/);
  t.true(await page.locator('#result-spinner').isHidden());
  t.is(await page.evaluate(() => document.activeElement?.id), 'result-title');
  t.false(
    requests.some((r) => r.startsWith(`GET /api/events/${eventId}/status`)),
    'neither the stream nor the status call',
  );
  await shot(page, 'phone-won');
  t.deepEqual(errors, []);
});

test.serial('the whole flow by keyboard alone, with the code from the SES emulator; a reload and a second tab agree', async (t) => {
  const eventId = await newEvent(sys, 10);
  const email = randomEmail('flow');
  const { context, page, errors } = await open(eventId, { viewport: DESKTOP });
  await page.locator('#event-state[data-phase="open"]').waitFor();
  await shot(page, 'desktop-email');
  await verifyByEmail(page, email, { keyboard: true });
  t.regex(await text(page, '#signed-in-as'), new RegExp(email.replace(/[.]/g, '\\.')));
  t.is(await page.evaluate(() => document.activeElement?.id), 'apply', 'focus moves on to the apply button');
  await shot(page, 'desktop-apply');
  await page.keyboard.press('Enter');
  await page.locator('#step-result[data-status="WON"]').waitFor({ timeout: 20_000 });
  t.is(await page.evaluate(() => document.activeElement?.id), 'result-title');
  await shot(page, 'desktop-won');

  await page.reload();
  await page.locator('#step-result[data-status="WON"]').waitFor();
  const second = await context.newPage();
  await second.goto(`${sys.url}/?event=${eventId}`);
  await second.locator('#step-result[data-status="WON"]').waitFor();
  t.is(await text(second, '#result-ticket'), await text(page, '#result-ticket'));
  t.deepEqual(errors, []);
});

test.serial('a reload between the send and the code keeps the sign-in: the code is checked for it, by its id', async (t) => {
  const eventId = await newEvent(sys, 10);
  const email = randomEmail('reload');
  const { page, errors } = await open(eventId);
  const verifies: { challengeId?: string }[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/api/auth/verify-code')) verifies.push(r.postDataJSON() as { challengeId?: string });
  });
  await page.fill('#email', email);
  const sent = page.waitForResponse((r) => r.url().endsWith('/api/auth/send-verification-code'));
  await page.click('#send');
  const { challengeId, reference } = (await (await sent).json()) as { challengeId: string; reference: string };
  await page.locator('#step-code').waitFor();
  await page.reload();
  await page.fill('#email', email);
  const again = page.waitForResponse((r) => r.url().endsWith('/api/auth/send-verification-code'));
  await page.click('#send');
  t.is((await again).status(), 429, 'the cooldown: no second code');
  await page.locator('#step-code').waitFor();
  t.regex(await text(page, '#code-sent-to'), new RegExp(reference), 'the page still names the email to look for');
  await page.fill('#code', await readCode(email));
  await page.click('#verify');
  await page.locator('#step-apply').waitFor();
  t.deepEqual(
    verifies.map((v) => v.challengeId),
    [challengeId],
  );
  t.deepEqual(errors, []);
});

test.serial('a wrong code says how many tries are left, in Korean and in English; resend shows its cooldown', async (t) => {
  const eventId = await newEvent(sys, 10);
  const email = randomEmail('wrong');
  const { page } = await open(eventId);
  const verifies: unknown[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/api/auth/verify-code')) verifies.push(r.postDataJSON());
  });
  await page.fill('#email', email);
  const sent = page.waitForResponse((r) => r.url().endsWith('/api/auth/send-verification-code'));
  await page.click('#send');
  const { challengeId, reference } = (await (await sent).json()) as { challengeId: string; reference: string };
  await page.locator('#step-code').waitFor();
  t.regex(
    await text(page, '#code-sent-to'),
    new RegExp(`제목에 ${reference}이\\(가\\) 있는 메일`),
    "the page says which email holds this sign-in's code",
  );
  const code = await readCode(email);
  const wrong = code === '000000' ? '111111' : '000000';
  await page.fill('#code', wrong);
  await page.click('#verify');
  await page.locator('#msg-code.error').waitFor();
  t.regex(await text(page, '#msg-code'), /코드가 맞지 않아요. 2번 더/);
  t.true(await page.locator('#resend').isDisabled());
  t.regex(await text(page, '#resend'), /코드 다시 받기 \(\d+초\)/);
  await shot(page, 'phone-wrong-code-ko');

  await page.click('#lang');
  t.is(await page.evaluate(() => document.documentElement.lang), 'en');
  t.regex(await text(page, '#msg-code'), /That code is wrong. 2 attempt\(s\) left/);
  t.regex(await text(page, '#resend'), /Send a new code \(\d+ s\)/);
  await shot(page, 'phone-wrong-code-en');

  await page.fill('#code', '12');
  await page.click('#verify');
  t.regex(await text(page, '#msg-code'), /6 digits/);

  // Wrong until the code is void: the message says to ask for a new one.
  for (let i = 0; i < 6 && !/no longer signs you in/.test(await text(page, '#msg-code')); i++) {
    await page.fill('#code', wrong);
    await page.click('#verify');
    await page.waitForFunction(() => !(document.getElementById('verify') as HTMLButtonElement).disabled);
  }
  t.regex(await text(page, '#msg-code'), /That code no longer signs you in \(expired, used, or too many tries\)/);
  await page.fill('#code', code);
  await page.click('#verify');
  await page.waitForFunction(() => !(document.getElementById('verify') as HTMLButtonElement).disabled);
  t.regex(await text(page, '#msg-code'), /no longer signs you in/, 'even the right code is refused now');
  t.true(await page.locator('#step-code').isVisible());
  t.true(
    verifies.length > 0 && verifies.every((body) => (body as { challengeId?: string }).challengeId === challengeId),
    'every verify names the sign-in its send opened',
  );
});

test.serial('the button turns into "sold out" by itself when the last gift goes, without a press', async (t) => {
  const eventId = await newEvent(sys, 1);
  const { page, errors, requests } = await open(eventId, { email: randomEmail('watching') });
  await page.waitForFunction(() => !(document.getElementById('apply') as HTMLButtonElement).disabled);
  const winner = await sys.tokens.issue(randomEmail('first'));
  t.is((await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: winner })).status, 202);
  const before = count(requests, infoPath(eventId));

  await page.locator('#event-state[data-phase="soldOut"]').waitFor({ timeout: 10_000 });
  t.true(await page.locator('#apply').isDisabled());
  t.is(await text(page, '#apply'), '선물이 모두 소진되었어요');
  t.is(await text(page, '#event-state'), '선물이 모두 소진되었어요');
  t.is(count(requests, applyPath(eventId)), 0, 'nobody pressed');
  t.true(
    count(requests, infoPath(eventId)) - before <= 1,
    'the next look at the event shows it: asked every few seconds, not in a tight loop',
  );
  await shot(page, 'phone-sold-out');
  await page.click('#lang');
  t.is(await text(page, '#apply'), 'All the gifts are gone');
  t.deepEqual(errors, []);
});

test.serial('the remaining stock falls live on the page as people win, and "sold out" shows the moment the last gift goes', async (t) => {
  const eventId = await newEvent(sys, 3);
  const { page, errors, requests } = await open(eventId, { email: randomEmail('stock') });
  await page.locator('#stock').waitFor();
  t.is(await text(page, '#stock'), '남은 선물 3 / 3개');
  const seen = new Set<string>();
  await page.exposeFunction('sawStock', (s: string) => void seen.add(s));
  await page.evaluate(() =>
    new MutationObserver(() =>
      (window as unknown as { sawStock(s: string): void }).sawStock(document.getElementById('stock')!.textContent!),
    ).observe(document.getElementById('stock')!, { childList: true, characterData: true, subtree: true }),
  );
  const before = count(requests, infoPath(eventId));
  for (let i = 0; i < 3; i++) {
    t.is(
      (await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail('winner')) })).status,
      202,
    );
    await page.waitForFunction(
      (left) =>
        document.getElementById('stock')!.textContent!.startsWith(`남은 선물 ${left} `) ||
        document.getElementById('stock')!.dataset.soldOut === 'true',
      2 - i,
      { timeout: 10_000 },
    );
  }
  await page.locator('#stock[data-sold-out="true"]').waitFor({ timeout: 10_000 });
  await page.locator('#event-state[data-phase="soldOut"]').waitFor({ timeout: 2_000 });
  t.true(await page.locator('#apply').isDisabled());
  t.is(await text(page, '#stock'), '선물이 모두 소진되었어요');
  t.log([...seen]);
  t.true(seen.has('남은 선물 2 / 3개') || seen.has('남은 선물 1 / 3개'), 'seen falling, not only the end');
  t.true(count(requests, infoPath(eventId)) - before <= 1, 'pushed on the stream, not found by re-reading the event');
  t.true(requests.includes(`GET /api/events/${eventId}/stream`));
  await shot(page, 'phone-stock-sold-out');
  t.deepEqual(errors, []);
});

test.serial(
  'a stock stream the server refuses (503 STREAMS_FULL) is asked for again a few seconds later, and then falls live',
  async (t) => {
    const eventId = await newEvent(sys, 2);
    const streamAsked: number[] = [];
    const { page, errors } = await open(eventId, {
      email: randomEmail('full'),
      before: async (context) => {
        await context.route(`**/api/events/${eventId}/stream`, (route) => {
          streamAsked.push(Date.now());
          return streamAsked.length === 1
            ? route.fulfill({
                status: 503,
                headers: { 'Retry-After': '30' },
                json: { error: { code: 'STREAMS_FULL', message: 'this server holds all the stock streams it can' } },
              })
            : route.continue();
        });
      },
    });
    await page.locator('#stock').waitFor({ timeout: 15_000 });
    t.is(streamAsked.length, 2, 'refused once, asked once more');
    const waited = streamAsked[1]! - streamAsked[0]!;
    t.true(waited >= 3_000 && waited <= 8_000, `asked again after ${waited} ms`);
    t.is(await text(page, '#stock'), '남은 선물 2 / 2개');
    t.is(
      (await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail('winner')) })).status,
      202,
    );
    await page.waitForFunction(() => document.getElementById('stock')!.textContent!.startsWith('남은 선물 1 '), undefined, {
      timeout: 10_000,
    });
    t.deepEqual(errors, []);
  },
);

test.serial(
  'a winner\'s "Check it" is a link: it checks the receipt in the page, anyone who opens it sees the same, a tampered one fails',
  async (t) => {
    const eventId = await newEvent(sys, 2);
    // The log is built by consumers from what they persisted.
    const consumer = new ConsumerProcess(sys.config, { retryBaseMs: 100, sendEmails: false }, testLog());
    sys.consumer = consumer;
    await consumer.start();
    t.teardown(stopConsumer);
    const email = randomEmail('receipt');
    const { page, errors } = await open(eventId, { email, lang: 'en' });
    await page.locator('#step-apply').waitFor();
    await page.waitForFunction(() => !(document.getElementById('apply') as HTMLButtonElement).disabled);
    await page.click('#apply');
    await page.locator('#step-result[data-status="WON"]').waitFor();
    await page.locator('#receipt').waitFor();
    const receipt = await page.locator('#receipt-text').inputValue();
    t.regex(receipt, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const link = page.locator('a#receipt-check');
    t.is(await text(page, '#receipt-check'), 'Check it');
    t.is(await link.getAttribute('href'), `#receipt=${receipt}`);
    await link.click();
    t.is(page.url(), `${sys.url}/?event=${eventId}#receipt=${receipt}`);
    const checked = async (p: Page) => {
      for (let i = 0; i < 40; i++) {
        await p.waitForFunction(() => ['ok', 'notYet', 'failed'].includes(document.getElementById('check-result')!.dataset.state!));
        const state = await p.locator('#check-result').getAttribute('data-state');
        if (state !== 'notYet') return state;
        await p.waitForTimeout(500);
        await p.click('#check-again');
      }
      return 'notYet';
    };
    t.is(await checked(page), 'ok', await text(page, '#check-result'));
    const holds = /^Checked: the signature holds, and this win \(ticket 1\) is entry 3 of 3 in the signed public log\.$/;
    t.regex(await text(page, '#check-result'), holds);
    await page.waitForFunction(() => document.getElementById('checkpoint')!.dataset.holds === 'true');
    t.regex(await text(page, '#checkpoint'), /^Public log: 3 entries · root [A-Za-z0-9+/]{12}… · signed by a published key$/);
    await shot(page, 'phone-receipt-checked');
    t.deepEqual(errors, []);

    /** The link opened in a fresh browser context: nobody signed in, nothing kept. */
    const opened = async (url: string, before?: (c: BrowserContext) => Promise<unknown>) => {
      const context = await browser.newContext({ viewport: PHONE, locale: 'en-US', timezoneId: 'Asia/Seoul' });
      contexts.push(context);
      await context.addInitScript(() => localStorage.setItem('terning.lang', 'en'));
      await before?.(context);
      const fresh = await context.newPage();
      const asked: string[] = [];
      fresh.on('request', (r: Request) => asked.push(`${r.url()} ${r.headers().referer ?? ''} ${r.postData() ?? ''}`));
      const pageErrors: string[] = [];
      fresh.on('pageerror', (e) => pageErrors.push(e.message));
      await fresh.goto(url);
      return { fresh, asked, pageErrors };
    };
    const shared = `${sys.url}/?event=${eventId}#receipt=${receipt}`;
    const other = await opened(shared);
    t.is(await checked(other.fresh), 'ok', await text(other.fresh, '#check-result'));
    t.regex(await text(other.fresh, '#check-result'), holds);
    t.true(await other.fresh.locator('#step-email').isVisible(), 'nobody is signed in');
    // The receipt travels in the fragment: no request of the page carries it (its signature) to a server.
    const signature = receipt.split('.')[2]!;
    t.true(other.asked.length > 0);
    t.deepEqual(
      other.asked.filter((r) => r.includes(signature)),
      [],
    );
    await shot(other.fresh, 'phone-receipt-shared');
    t.deepEqual(other.pageErrors, []);

    // Tampered links: a character of its claims, or of its signature, changed.
    const [h, c, sig] = receipt.split('.') as [string, string, string];
    const flip = (x: string, i: number) => x.slice(0, i) + (x[i] === 'A' ? 'B' : 'A') + x.slice(i + 1);
    for (const [what, bad] of [
      ['claims', `${h}.${flip(c, 10)}.${sig}`],
      ['signature', `${h}.${c}.${flip(sig, 5)}`],
    ] as const) {
      const tampered = await opened(`${sys.url}/?event=${eventId}#receipt=${bad}`);
      t.is(await checked(tampered.fresh), 'failed', what);
      t.regex(await text(tampered.fresh, '#check-result'), /^Does NOT check \((signature|receipt)\)/, what);
      t.true(await tampered.fresh.locator('#check-result.error').isVisible(), what);
      t.notRegex(await text(tampered.fresh, '#check-result'), /^Checked/, what);
    }

    // The checkpoint the page shows is said to hold only when its signature does: one changed on the
    // way (another root) is told, clearly, not to be trusted.
    const note = await (await fetch(`${sys.url}/api/events/${eventId}/log/checkpoint`)).text();
    const root = note.split('\n')[2]!;
    const forged = note.replace(`\n${root}\n`, `\n${Buffer.alloc(32, 7).toString('base64')}\n`);
    const changed = await opened(`${sys.url}/?event=${eventId}`, (context) =>
      context.route('**/log/checkpoint', (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: forged })),
    );
    await changed.fresh.waitForFunction(() => document.getElementById('checkpoint')!.dataset.holds === 'false');
    t.regex(await text(changed.fresh, '#checkpoint'), /^Public log: its checkpoint is NOT signed by a published key\. Do not trust it\.$/);
    t.notRegex(await text(changed.fresh, '#checkpoint'), /entries/);
  },
);

test.serial('a latecomer who presses after the last gift went is told so as their result, in Korean and in English', async (t) => {
  const eventId = await newEvent(sys, 1);
  const { context, page, errors, requests, token } = await open(eventId, { email: randomEmail('late') });
  await page.waitForFunction(() => !(document.getElementById('apply') as HTMLButtonElement).disabled);
  // The page's look at the event still says "open" until the press (a refresh could otherwise turn the
  // button off first): the press itself meets the sold-out gate.
  let pressed = false;
  await context.route(`**/api/events/${eventId}`, async (route) => {
    try {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: pressed ? await res.json() : { ...(await res.json()), soldOut: false } });
    } catch {
      // The request was cut off (the page refreshes the event on its own): the page sees a failed fetch.
      await route.abort('failed').catch(() => {});
    }
  });
  await context.route(`**/api/events/${eventId}/apply`, (route) => {
    pressed = true;
    return route.continue();
  });
  // Nor does the stock stream tell it first (another test shows it does).
  await context.route(`**/api/events/${eventId}/stream`, (route) => route.abort());
  const winner = await sys.tokens.issue(randomEmail('first'));
  t.is((await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: winner })).status, 202);

  await page.click('#apply');
  await page.locator('#step-result[data-status="SOLD_OUT"]').waitFor();
  t.is(await text(page, '#result-title'), '아쉽게도 선물이 모두 소진되었어요');
  t.regex(await text(page, '#result-body'), /이번 응모는 접수되지 않았고, 더 하실 일은 없어요/);
  t.is(await text(page, '#result-ticket'), '', 'no place in line: they hold nothing');
  t.true(await page.locator('#result-spinner').isHidden());
  t.is(await page.evaluate(() => document.activeElement?.id), 'result-title');
  t.is(await text(page, '#msg-apply'), '', 'not an error on the apply step');
  await page.locator('#event-state[data-phase="soldOut"]').waitFor();
  t.true(requests.lastIndexOf(infoPath(eventId)) > requests.indexOf(applyPath(eventId)), 'the event is asked again right after the answer');
  t.false(
    requests.some((r) => r.startsWith(`GET /api/events/${eventId}/status`)),
    'nothing to watch',
  );
  t.is((await http(sys.url, 'GET', `/api/events/${eventId}/status`, { token })).body.error.code, 'NOT_APPLIED');
  t.deepEqual(await contrastFailures(page), []);
  await shot(page, 'phone-sold-out-result-ko');

  await page.click('#lang');
  t.is(await text(page, '#result-title'), 'Sorry, all the gifts are gone');
  t.regex(await text(page, '#result-body'), /You have not been entered, and there is nothing more to do/);
  t.deepEqual(await contrastFailures(page), []);
  await shot(page, 'phone-sold-out-result-en');

  // A reload finds nothing held: the apply step, its button saying why it is off.
  await page.reload();
  await page.locator('#event-state[data-phase="soldOut"]').waitFor();
  t.true(await page.locator('#step-apply').isVisible());
  t.is(await text(page, '#apply'), 'All the gifts are gone');
  t.deepEqual(errors, []);
});

test.serial('an answer from an older server that says LOST reads as sold out', async (t) => {
  const eventId = await newEvent(sys, 1);
  const { context, page, errors } = await open(eventId, { email: randomEmail('lost'), lang: 'en' });
  await context.route(`**/api/events/${eventId}/apply`, (route) =>
    route.fulfill({ status: 200, json: { status: 'LOST', ticket: 7, decidedAt: new Date().toISOString() } }),
  );
  await page.waitForFunction(() => !(document.getElementById('apply') as HTMLButtonElement).disabled);
  await page.click('#apply');
  await page.locator('#step-result[data-status="SOLD_OUT"]').waitFor();
  t.is(await text(page, '#result-title'), 'Sorry, all the gifts are gone');
  t.is(await text(page, '#result-ticket'), '');
  t.deepEqual(errors, []);
});

test.serial('a busy server (503 with Retry-After) is tried again by itself, saying so; the tries are capped', async (t) => {
  const eventId = await newEvent(sys, 5);
  const busy = (code: string) => ({
    status: 503,
    headers: { 'Retry-After': '1' },
    json: { error: { code, message: 'applications can not be taken right now; try again in a moment' } },
  });

  const { context, page, errors } = await open(eventId, { email: randomEmail('busy') });
  const tries: number[] = [];
  await context.route(`**/api/events/${eventId}/apply`, (route) => {
    tries.push(Date.now());
    return tries.length <= 2 ? route.fulfill(busy('QUEUE_UNAVAILABLE')) : route.continue();
  });
  await page.waitForFunction(() => !(document.getElementById('apply') as HTMLButtonElement).disabled);
  await page.click('#apply');
  await page.waitForFunction(() => /자동으로 다시 시도해요 \(2\/5번째\)/.test(document.getElementById('msg-apply')!.textContent ?? ''));
  t.regex(await text(page, '#msg-apply'), /^지금 응모가 몰려 있어요. [12]초 뒤에 자동으로 다시 시도해요/);
  t.false(await page.locator('#msg-apply').evaluate((el) => el.classList.contains('error')), 'a notice, not an error');
  t.true(await page.locator('#apply').isDisabled(), 'no pressing in between');
  t.deepEqual(await contrastFailures(page), []);
  await shot(page, 'phone-retrying');
  await page.locator('#step-result[data-status="WON"]').waitFor({ timeout: 10_000 });
  t.is(tries.length, 3);
  t.true(tries[1]! - tries[0]! >= 1_000 && tries[2]! - tries[1]! >= 1_000, 'each try waits for Retry-After');
  t.deepEqual(errors, []);

  const capped = await open(eventId, { email: randomEmail('restoring'), lang: 'en' });
  let attempts = 0;
  await capped.context.route(`**/api/events/${eventId}/apply`, (route) => {
    attempts++;
    return route.fulfill(busy('STATE_RESTORING'));
  });
  await capped.page.waitForFunction(() => !(document.getElementById('apply') as HTMLButtonElement).disabled);
  await capped.page.click('#apply');
  await capped.page.waitForFunction(
    () => /Trying again by itself in \d s \(attempt 5 of 5\)/.test(document.getElementById('msg-apply')!.textContent ?? ''),
    null,
    { timeout: 15_000 },
  );
  await capped.page.locator('#msg-apply.error').waitFor({ timeout: 5_000 });
  t.is(
    await text(capped.page, '#msg-apply'),
    'It is very busy, and your application is not confirmed yet. Please press Apply again in a moment.',
  );
  t.is(attempts, 5, 'the press and 4 more, then it stops');
  t.false(await capped.page.locator('#apply').isDisabled(), 'and the person may press again');
  t.true(await capped.page.locator('#step-apply').isVisible());
  t.deepEqual(capped.errors, []);
});

test.serial('an event that is not open yet, or does not exist, says so and can not be applied to', async (t) => {
  const missing = await open('ev-no-such-event', { email: randomEmail('lost-link') });
  await missing.page.waitForFunction(() => /이벤트예요/.test(document.getElementById('event-state')!.textContent ?? ''));
  t.is(await text(missing.page, '#event-state'), '아직 열리지 않았거나 없는 이벤트예요.');
  t.true(await missing.page.locator('#apply').isDisabled());
  t.is(await text(missing.page, '#apply'), '아직 응모할 수 없어요');
  await missing.page.click('#lang');
  t.is(await text(missing.page, '#event-state'), 'This event is not open yet, or there is no such event.');
  t.is(await text(missing.page, '#apply'), 'Not open yet');
  await shot(missing.page, 'phone-no-event-en');
  t.deepEqual(missing.errors, []);

  // A draft: 404 like a missing one, or (from a server that still shows drafts) its state.
  const draft = await open(await newEvent(sys, 5, false), { email: randomEmail('draft') });
  await draft.page.waitForFunction(() => /아직/.test(document.getElementById('event-state')!.textContent ?? ''));
  t.true(await draft.page.locator('#apply').isDisabled());
  t.is(await text(draft.page, '#apply'), '아직 응모할 수 없어요');
  t.deepEqual(draft.errors, []);
});

test.serial('closed: it says the event ended', async (t) => {
  const closedId = await newEvent(sys, 5);
  await http(sys.url, 'POST', `/api/admin/events/${closedId}/close`, admin());
  const closed = await open(closedId, { viewport: DESKTOP, lang: 'en' });
  await closed.page.locator('#event-state[data-phase="closed"]').waitFor();
  t.is(await text(closed.page, '#event-state'), 'The event has ended');
  await shot(closed.page, 'desktop-closed-en');
});

test.serial('the phone layout fits 360 px without sideways scrolling', async (t) => {
  const eventId = await newEvent(sys, 10);
  const { page } = await open(eventId);
  await page.locator('#event-state[data-phase="open"]').waitFor();
  t.is(await page.evaluate(() => document.documentElement.scrollWidth), 360);
  await shot(page, 'phone-email');
});

test.serial(
  'a win whose hand-off is unconfirmed shows PENDING, and WON is pushed the moment a consumer persists it; no polling',
  async (t) => {
    await stopConsumer();
    const eventId = await newEvent(sys, 1);
    const email = randomEmail('pending');
    const win = await unconfirmedWin(eventId, email);
    const { page, errors, requests } = await open(eventId, { email, applied: true });
    await page.locator('#step-result[data-status="PENDING"]').waitFor();
    t.is(await text(page, '#result-title'), '거의 다 됐어요');
    t.regex(await text(page, '#result-body'), /응모를 기록하고 있어요/);
    t.regex(await text(page, '#result-ticket'), /1번/);
    t.true(await page.locator('#result-spinner').isVisible());
    t.deepEqual(await contrastFailures(page), []);
    await shot(page, 'phone-pending');

    await persist(eventId, email, win);
    await page.locator('#step-result[data-status="WON"]').waitFor({ timeout: 20_000 });
    t.is(await text(page, '#result-title'), '당첨되었어요!');
    t.true(
      requests.some((r) => r === `GET /api/events/${eventId}/status/stream`),
      'the page listened on the stream',
    );
    t.false(
      requests.some((r) => r === `GET /api/events/${eventId}/status`),
      'and never polled',
    );
    t.true(await page.locator('#result-spinner').isHidden());
    t.deepEqual(errors, []);
  },
);

test.serial("when the stream can't be had, the page polls the status, backing off, and still shows the result", async (t) => {
  await stopConsumer();
  const eventId = await newEvent(sys, 1);
  const email = randomEmail('fallback');
  const win = await unconfirmedWin(eventId, email);
  const polls: number[] = [];
  const { page, errors } = await open(eventId, {
    email,
    applied: true,
    before: async (context) => {
      await context.route('**/status/stream**', (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'no streams here' } }),
        }),
      );
      context.on('request', (r) => {
        if (new URL(r.url()).pathname === `/api/events/${eventId}/status`) polls.push(Date.now());
      });
    },
  });
  await page.locator('#step-result[data-status="PENDING"]').waitFor();
  while (polls.length < 4) await page.waitForTimeout(250);
  const gaps = polls.slice(1).map((at, i) => at - polls[i]!);
  t.true(gaps[2]! > gaps[1]! && gaps[1]! > gaps[0]!, `the polls back off: ${gaps.join(', ')} ms apart`);

  await persist(eventId, email, win);
  await page.locator('#step-result[data-status="WON"]').waitFor({ timeout: 40_000 });
  t.is(await text(page, '#result-title'), '당첨되었어요!');
  t.deepEqual(errors, []);
});

test.serial('an expired code says so and asks for a new one', async (t) => {
  const eventId = await newEvent(sys, 10);
  const email = randomEmail('expired');
  const { page, errors } = await open(eventId);
  await page.fill('#email', email);
  await page.click('#send');
  await page.locator('#step-code').waitFor();
  const code = await readCode(email);
  // The code's lifetime passes: Redis lets its key expire (here at once, rather than in five minutes).
  const redis = new Redis(sys.config.redisUrl);
  for (const key of await redis.keys(signInKeys(sys.config.redisPrefix, personOf(email)).challenge('*'))) await redis.pexpire(key, 1);
  await new Promise((r) => setTimeout(r, 20));
  redis.disconnect();
  await page.fill('#code', code);
  await page.click('#verify');
  await page.locator('#msg-code.error').waitFor();
  t.regex(await text(page, '#msg-code'), /이 코드로는 로그인할 수 없어요\(만료, 사용됨, 또는 시도 횟수 초과\). 새 코드를 받아 주세요./);
  t.true(await page.locator('#step-apply').isHidden());
  t.deepEqual(errors, []);
});

/**
 * WCAG AA contrast, computed in the page: every element with its own visible text, against the
 * nearest opaque background behind it: at least 4.5:1 (3:1 for large text).
 */
// Plain JavaScript, sent as text: the test's own transpiler would add helpers the page doesn't have.
const CONTRAST_SCRIPT = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const channel = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] >= 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of Array.from(document.querySelectorAll('body *'))) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility === 'hidden' || el.offsetParent === null) continue;
    const pair = [lum(rgb(style.color).slice(0, 3)), lum(background(el))].sort((x, y) => y - x);
    const ratio = (pair[0] + 0.05) / (pair[1] + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push(el.tagName + '#' + el.id + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2) + ':1');
  }
  return out;
})()`;

async function contrastFailures(page: Page): Promise<string[]> {
  return page.evaluate(CONTRAST_SCRIPT) as Promise<string[]>;
}

test.serial('every visible text meets WCAG AA contrast, on each step of the flow', async (t) => {
  const eventId = await newEvent(sys, 10);
  const first = await open(eventId);
  await first.page.locator('#event-state[data-phase="open"]').waitFor();
  t.deepEqual(await contrastFailures(first.page), [], 'the email step');
  await first.page.click('#lang');
  t.deepEqual(await contrastFailures(first.page), [], 'the email step, in English');
  const signedIn = await open(eventId, { email: randomEmail('contrast') });
  await signedIn.page.locator('#step-apply').waitFor();
  t.deepEqual(await contrastFailures(signedIn.page), [], 'the apply step');
  await signedIn.page.click('#apply');
  await signedIn.page.locator('#step-result[data-status="WON"]').waitFor();
  t.deepEqual(await contrastFailures(signedIn.page), [], 'the result');
  // The check itself sees a pale grey on white (styled through the CSSOM: the page's CSP forbids inline styles).
  await signedIn.page.evaluate(
    "(() => { const p = document.createElement('p'); p.id = 'pale'; p.textContent = 'pale'; p.style.color = '#bbb'; p.style.background = '#fff'; document.querySelector('main').append(p); })()",
  );
  t.deepEqual(
    (await contrastFailures(signedIn.page)).map((f) => f.split(' ')[0]),
    ['P#pale'],
  );
});
