/// <reference lib="dom" />
import { eventApi, sendCode, verifyCode, type Answer, type EventInfo, type Heard } from './api.ts';
import { ServerClock } from './clock.ts';
import { watchResult } from './result.ts';
import { checkCheckpoint, checkReceipt } from './receipt.ts';
import {
  appliedAs,
  endSession,
  forgetApplied,
  forgetPendingSignIn,
  loadSession,
  markApplied,
  pendingSignIn,
  saveLang,
  savedLang,
  savePendingSignIn,
  saveSession,
  type Session,
} from './session.ts';
import { errorMessage, type Lang, type Message } from './text.ts';
import { render, focusStep, type Result, type Step, type View } from './view.ts';
import { ErrorCode } from '../../../core/domain/errors.ts';

/**
 * The participant page: email, code, apply, the result. Everything it shows is drawn from one state by
 * render(); the handlers below change the state and say where focus goes next. The gate decides when
 * the person arrives, so the apply answer is the result: WON, or SOLD_OUT (they hold nothing). Only a
 * win whose hand-off is unconfirmed (PENDING, rare) is watched until it is WON.
 */
const eventId = new URLSearchParams(location.search).get('event');
const api = eventApi(eventId);
const clock = new ServerClock();

const state: View = {
  lang: savedLang() as Lang,
  event: null,
  eventError: null,
  step: 'email',
  email: '',
  challengeId: null,
  reference: null,
  session: null,
  codeMinutes: 5,
  resendAt: 0,
  busy: null,
  msg: {},
  retry: null,
  result: null,
  stock: null,
  check: null,
  checkpoint: null,
  now: () => clock.now(),
};
let wasOpen = false;
let stopWatching = () => {};
let nextRefresh: ReturnType<typeof setTimeout> | undefined;
let nextApply: ReturnType<typeof setTimeout> | undefined;
let infoAsked = 0;

/** Tries of one press of Apply when the server can't take it (503, or no answer): the press and 4 more. */
const APPLY_ATTEMPTS = 5;
const SOLD_OUT: Result = { status: 'SOLD_OUT' };
// An older server's LOST means the same as SOLD_OUT now: nothing is held.
const resultOf = (s: Heard): Result =>
  s.status === 'LOST' ? SOLD_OUT : { status: s.status, ticket: s.ticket, decidedAt: s.decidedAt, receipt: s.receipt };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const show = () => {
  const open = render(state);
  if (open && !wasOpen && state.event && state.step === 'apply' && !state.busy) {
    state.msg.apply = { key: 'nowOpen' };
    render(state);
  }
  wasOpen = open;
};
const goTo = (step: Step) => {
  state.step = step;
  show();
  focusStep(step);
};

async function refreshEvent(): Promise<void> {
  clearTimeout(nextRefresh);
  const asked = ++infoAsked;
  const sentAt = performance.now();
  const res = await api.info();
  const receivedAt = performance.now();
  // An older answer arriving after a newer one would undo what the newer one said.
  if (asked !== infoAsked) return;
  if (res.ok) {
    clock.observe(res.body.serverTime, sentAt, receivedAt);
    state.event = res.body;
    state.eventError = null;
  } else {
    // 404: no such event, or one not yet public (a draft); any other failure keeps what was known.
    if (res.status === 404) state.event = null;
    state.eventError = errorMessage(res.error.code);
  }
  show();
  scheduleRefresh(res.ok ? res.body : null);
  followStock();
}

let stockSource: EventSource | undefined;
/** A refused stock stream is asked for again after this long, doubled at each refusal up to a minute. */
const STOCK_RETRY_FIRST_MS = 5_000;
const STOCK_RETRY_MAX_MS = 60_000;
let stockRetryMs = STOCK_RETRY_FIRST_MS;
let stockRetry: ReturnType<typeof setTimeout> | undefined;
/**
 * The remaining stock, pushed while the event takes applicants (or is about to): it falls as people
 * win, and "sold out" shows the moment it is, without waiting for the next re-read. A stream the
 * server refuses (503 STREAMS_FULL when its stock stream processes are full, a restart) is closed
 * for good by EventSource: the page asks again later, spread out and backing off, and re-reads the
 * event meanwhile as it always does.
 */
function followStock(): void {
  const p = state.event ? state.event.state : 'closed';
  const wanted = (p === 'open' || p === 'scheduled') && !state.event?.soldOut && typeof EventSource !== 'undefined';
  if (!wanted) {
    stockSource?.close();
    stockSource = undefined;
    clearTimeout(stockRetry);
    stockRetry = undefined;
    return;
  }
  if (stockSource || stockRetry) return;
  const source = (stockSource = new EventSource(api.stockUrl));
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED || stockSource !== source) return;
    stockSource = undefined;
    stockRetry = setTimeout(
      () => {
        stockRetry = undefined;
        followStock();
      },
      stockRetryMs * (0.75 + Math.random() / 2),
    );
    stockRetryMs = Math.min(stockRetryMs * 2, STOCK_RETRY_MAX_MS);
  });
  source.addEventListener('stock', (e) => {
    stockRetryMs = STOCK_RETRY_FIRST_MS;
    state.stock = JSON.parse((e as MessageEvent<string>).data) as View['stock'];
    if (state.event && state.stock) state.event = { ...state.event, soldOut: state.stock.soldOut };
    show();
    if (state.stock?.soldOut) followStock();
  });
}

/** The event's public log as anyone sees it: the size and root of its checkpoint, once its signature is checked. */
async function readCheckpoint(): Promise<void> {
  state.checkpoint = await checkCheckpoint(await api.checkpoint(), eventId ?? state.event?.id ?? null);
  show();
}

/**
 * On the apply step every 5 s or so, so the button says "sold out" before anyone presses it (the call
 * is cheap: settings cached a second, the counts one Redis read); elsewhere every 30 s or so; right
 * after the opening when it is near. Each phone at a slightly different moment.
 */
function scheduleRefresh(e: EventInfo | null): void {
  clearTimeout(nextRefresh);
  const untilOpen = e?.opensAt ? Date.parse(e.opensAt) - clock.now() : Infinity;
  const watching = state.step === 'apply' && document.visibilityState === 'visible';
  if (untilOpen > 0 && untilOpen < 60_000) {
    setTimeout(show, untilOpen + 5);
    nextRefresh = setTimeout(refreshEvent, untilOpen + 500 + Math.random() * 2_000);
  } else {
    nextRefresh = setTimeout(refreshEvent, (watching ? 5_000 : 30_000) * (0.8 + Math.random() * 0.4));
  }
}

function watch(session: Session): void {
  stopWatching();
  stopWatching = watchResult(api, session.token, {
    onStanding: (s: Heard) => {
      state.result = resultOf(s);
      if (state.result.status === 'SOLD_OUT') forgetApplied(eventKey);
      show();
    },
    onRefused: (error) => {
      if (error.code === ErrorCode.NOT_APPLIED) {
        forgetApplied(eventKey);
        state.result = null;
        goTo('apply');
        void refreshEvent();
      } else {
        signOut(errorMessage(error.code));
      }
    },
  });
}

const eventKey = eventId ?? 'default';

function signOut(message?: Message): void {
  stopWatching();
  clearTimeout(nextApply);
  endSession();
  state.session = null;
  state.retry = null;
  state.result = null;
  state.msg = message ? { email: message } : {};
  goTo('email');
}

async function askForCode(email: string, again: boolean): Promise<void> {
  state.busy = 'send';
  show();
  const res = await sendCode(email);
  state.busy = null;
  const cooldown = (s: number) => {
    state.resendAt = performance.now() + s * 1_000;
  };
  if (res.ok) {
    state.email = email;
    state.challengeId = res.body.challengeId;
    state.reference = res.body.reference;
    savePendingSignIn({
      email,
      challengeId: res.body.challengeId,
      reference: res.body.reference,
      expiresAt: Date.now() + res.body.expiresInSeconds * 1_000,
    });
    state.codeMinutes = Math.max(1, Math.round(res.body.expiresInSeconds / 60));
    cooldown(res.body.resendAfterSeconds);
    state.msg = again ? { code: { key: 'resent' } } : {};
    $<HTMLInputElement>('code').value = '';
    if (again) {
      show();
      $('code').focus();
    } else {
      goTo('code');
    }
    return;
  }
  const message = errorMessage(res.error.code, res.error.details, 'email');
  if (res.error.code === ErrorCode.CODE_RECENTLY_SENT) {
    // A code is already on its way (a reload, another tab, a double tap): go on to enter it, for the
    // sign-in this browser opened; without one, the code is checked as the latest.
    const pending = pendingSignIn(email, Date.now());
    state.challengeId = pending?.challengeId ?? null;
    state.reference = pending?.reference ?? null;
    state.email = email;
    cooldown(res.error.details?.retryAfterSeconds ?? 60);
    state.msg = { code: message };
    if (again) show();
    else goTo('code');
    return;
  }
  state.msg = again ? { code: message } : { email: message };
  show();
}

$('form-email').addEventListener('submit', (e) => {
  e.preventDefault();
  const email = $<HTMLInputElement>('email').value.trim();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    state.msg = { email: { key: 'errEmailInvalid', error: true } };
    show();
    $('email').focus();
    return;
  }
  if (state.busy) return;
  void askForCode(email, false);
});

$('resend').addEventListener('click', () => {
  if (state.busy || performance.now() < state.resendAt) return;
  void askForCode(state.email, true);
});

$('change-email').addEventListener('click', () => {
  state.msg = {};
  goTo('email');
});

$('form-code').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>('code');
  const code = input.value.replace(/\D/g, '');
  if (code.length !== 6) {
    state.msg = { code: { key: 'errCodeFormat', error: true } };
    show();
    input.focus();
    return;
  }
  if (state.busy) return;
  state.busy = 'verify';
  show();
  const res = await verifyCode(state.email, code, state.challengeId);
  state.busy = null;
  if (res.ok) {
    state.session = { email: state.email, token: res.body.token, expiresAt: Date.now() + res.body.expiresInSeconds * 1_000 };
    saveSession(state.session);
    forgetPendingSignIn();
    state.msg = {};
    goTo('apply');
    void refreshEvent();
    return;
  }
  state.msg = { code: errorMessage(res.error.code, res.error.details, 'code') };
  show();
  if ((res.error.code === ErrorCode.CODE_INVALID && res.error.details?.attemptsLeft) || res.error.code === ErrorCode.VALIDATION_FAILED) {
    input.focus();
    input.select();
  } else {
    $('resend').focus();
  }
});

$('apply').addEventListener('click', () => {
  const session = state.session;
  if (!session || state.busy || state.retry) return;
  state.msg = {};
  void apply(session, 1);
});

/** No answer, or "not now" (503 with Retry-After; a proxy's 502/504): worth the same press again. */
const retryable = (res: Answer<unknown>) => res.status === 0 || res.status === 502 || res.status === 503 || res.status === 504;

async function apply(session: Session, attempt: number): Promise<void> {
  state.busy = 'apply';
  show();
  const res = await api.apply(session.token);
  state.busy = null;
  if (state.session !== session) return;
  if (!res.ok && retryable(res) && attempt < APPLY_ATTEMPTS) {
    // Applying again is safe: a person holds at most one unit, and a retry of a win gets the same one.
    const delay = (res.error.details?.retryAfterSeconds ?? 2) * 1_000 * (1 + Math.random() * 0.5);
    state.retry = { attempt: attempt + 1, max: APPLY_ATTEMPTS, at: performance.now() + delay, network: res.status === 0 };
    show();
    nextApply = setTimeout(() => void apply(session, attempt + 1), delay);
    return;
  }
  state.retry = null;
  if (res.ok) {
    state.result = resultOf(res.body);
    if (state.result.status === 'SOLD_OUT') return soldOut();
    markApplied(eventKey, session.email);
    goTo('result');
    if (state.result.status === 'PENDING') watch(session);
    return;
  }
  const code = res.error.code;
  if (code.startsWith('TOKEN_')) return signOut(errorMessage(code));
  if (code === ErrorCode.SOLD_OUT) return soldOut();
  state.msg = { apply: errorMessage(code, res.error.details) };
  show();
  if (code === ErrorCode.EVENT_NOT_OPEN || code === ErrorCode.EVENT_NOT_FOUND) void refreshEvent();
}

/** The stock was gone when this person arrived: they hold nothing, and the page says so as their result. */
function soldOut(): void {
  if (state.event) state.event = { ...state.event, soldOut: true };
  state.result = SOLD_OUT;
  goTo('result');
  void refreshEvent();
}

/** The receipt a link carries after the # (`#receipt=…`): the browser never sends it to the server. */
const receiptInAddress = () => new URLSearchParams(location.hash.slice(1)).get('receipt');

/** Checks the receipt in the address, on load and whenever it changes ("Check it", a link opened, "Check again"). */
async function checkFromAddress(): Promise<void> {
  const receipt = receiptInAddress();
  if (!receipt) {
    state.check = null;
    return show();
  }
  if (state.check?.receipt === receipt && state.check.result.state === 'checking') return;
  const check: NonNullable<View['check']> = { receipt, result: { state: 'checking' } };
  state.check = check;
  show();
  $('check').scrollIntoView({ block: 'nearest' });
  const result = await checkReceipt(receipt);
  // A newer receipt in the address meanwhile is checked by its own call.
  if (state.check !== check) return;
  state.check = { receipt, result };
  show();
  void readCheckpoint();
}

window.addEventListener('hashchange', () => void checkFromAddress());
// "Check it" on a receipt already in the address changes nothing the browser would tell: check again.
$('receipt-check').addEventListener('click', () => {
  if ($<HTMLAnchorElement>('receipt-check').hash === location.hash) void checkFromAddress();
});
$('check-again').addEventListener('click', () => void checkFromAddress());

$('sign-out').addEventListener('click', () => signOut());

$('lang').addEventListener('click', () => {
  state.lang = state.lang === 'ko' ? 'en' : 'ko';
  saveLang(state.lang);
  show();
});

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void refreshEvent();
});

function start(): void {
  state.session = loadSession(Date.now());
  if (state.session && appliedAs(eventKey) === state.session.email) {
    state.step = 'result';
    watch(state.session);
  } else if (state.session) {
    state.step = 'apply';
  }
  show();
  void refreshEvent();
  void readCheckpoint();
  void checkFromAddress();
  setInterval(tick, 250);
}

function tick(): void {
  // A token that runs out while waiting for the opening is renewed before the moment, not after it.
  if (state.session && state.step === 'apply' && Date.now() > state.session.expiresAt - 5_000)
    return signOut(errorMessage(ErrorCode.TOKEN_EXPIRED));
  show();
}

start();
