/// <reference lib="dom" />
import { eventApi, sendCode, verifyCode, type EventInfo, type Standing } from './api.ts';
import { ServerClock } from './clock.ts';
import { watchResult } from './result.ts';
import { appliedAs, endSession, forgetApplied, loadSession, markApplied, saveLang, savedLang, saveSession, type Session } from './session.ts';
import { errorMessage, type Lang, type Message } from './text.ts';
import { render, focusStep, type Step, type View } from './view.ts';

/**
 * The participant page: email, code, apply, the live result. Everything it shows is drawn from one
 * state by render(); the handlers below change the state and say where focus goes next.
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
  session: null,
  codeMinutes: 5,
  resendAt: 0,
  busy: null,
  msg: {},
  standing: null,
  now: () => clock.now(),
};
let wasOpen = false;
let stopWatching = () => {};
let nextRefresh: ReturnType<typeof setTimeout> | undefined;

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
  const sentAt = performance.now();
  const res = await api.info();
  const receivedAt = performance.now();
  if (res.ok) {
    clock.observe(res.body.serverTime, sentAt, receivedAt);
    state.event = res.body;
    state.eventError = null;
  } else {
    state.eventError = errorMessage(res.error.code);
  }
  show();
  scheduleRefresh(res.ok ? res.body : null);
}

/** Every 30 s or so; right after the opening when it is near, each phone at a slightly different moment. */
function scheduleRefresh(e: EventInfo | null): void {
  const untilOpen = e?.opensAt ? Date.parse(e.opensAt) - clock.now() : Infinity;
  if (untilOpen > 0 && untilOpen < 60_000) {
    setTimeout(show, untilOpen + 5);
    nextRefresh = setTimeout(refreshEvent, untilOpen + 500 + Math.random() * 2_000);
  } else {
    nextRefresh = setTimeout(refreshEvent, 30_000 * (0.8 + Math.random() * 0.4));
  }
}

function watch(session: Session): void {
  stopWatching();
  stopWatching = watchResult(api, session.token, {
    onStanding: (s: Standing) => {
      state.standing = s;
      show();
    },
    onRefused: (error) => {
      if (error.code === 'NOT_APPLIED') {
        forgetApplied(eventKey);
        state.standing = null;
        goTo('apply');
      } else {
        signOut(errorMessage(error.code));
      }
    },
  });
}

const eventKey = eventId ?? 'default';

function signOut(message?: Message): void {
  stopWatching();
  endSession();
  state.session = null;
  state.standing = null;
  state.msg = message ? { email: message } : {};
  goTo('email');
}

async function askForCode(email: string, again: boolean): Promise<void> {
  state.busy = 'send';
  show();
  const res = await sendCode(email);
  state.busy = null;
  const cooldown = (s: number) => { state.resendAt = performance.now() + s * 1_000; };
  if (res.ok) {
    state.email = email;
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
  if (res.error.code === 'CODE_RECENTLY_SENT') {
    // A code is already on its way (another tab, a double tap): go on to enter it.
    state.email = email;
    cooldown(res.error.details?.retryAfterSeconds ?? 60);
    state.msg = { code: message };
    if (again) show(); else goTo('code');
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
  const res = await verifyCode(state.email, code);
  state.busy = null;
  if (res.ok) {
    state.session = { email: state.email, token: res.body.token, expiresAt: Date.now() + res.body.expiresInSeconds * 1_000 };
    saveSession(state.session);
    state.msg = {};
    goTo('apply');
    return;
  }
  state.msg = { code: errorMessage(res.error.code, res.error.details, 'code') };
  show();
  if (res.error.code === 'CODE_INVALID' || res.error.code === 'VALIDATION_FAILED') {
    input.focus();
    input.select();
  } else {
    $('resend').focus();
  }
});

$('apply').addEventListener('click', async () => {
  const session = state.session;
  if (!session || state.busy) return;
  state.busy = 'apply';
  state.msg = {};
  show();
  const res = await api.apply(session.token);
  state.busy = null;
  if (res.ok) {
    markApplied(eventKey, session.email);
    state.standing = res.body;
    goTo('result');
    if (res.body.status === 'PENDING') watch(session);
    return;
  }
  const code = res.error.code;
  if (code.startsWith('TOKEN_')) return signOut(errorMessage(code));
  if (code === 'SOLD_OUT' && state.event) state.event = { ...state.event, soldOut: true };
  state.msg = { apply: errorMessage(code, res.error.details) };
  show();
  if (code === 'EVENT_NOT_OPEN') void refreshEvent();
});

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
  setInterval(tick, 250);
}

function tick(): void {
  // A token that runs out while waiting for the opening is renewed before the moment, not after it.
  if (state.session && state.step === 'apply' && Date.now() > state.session.expiresAt - 5_000) return signOut(errorMessage('TOKEN_EXPIRED'));
  show();
}

start();
