import type { EventInfo } from './api.ts';
import { countdown } from './clock.ts';
import type { Session } from './session.ts';
import { text, type Lang, type Message, type TextKey } from './text.ts';
import type { CheckpointCheck, ReceiptCheck } from './receipt.ts';

export type Step = 'email' | 'code' | 'apply' | 'result';
/** What the result step shows: a win (PENDING while its hand-off is unconfirmed), or that nothing is held. */
export type Result = { status: 'WON' | 'PENDING'; ticket: number; decidedAt: string | null; receipt?: string } | { status: 'SOLD_OUT' };
/** An apply the server could not take, tried again by itself: attempt n of max, the next at performance.now() `at`. */
export interface Retry {
  attempt: number;
  max: number;
  at: number;
  network: boolean;
}
export type Phase = 'loading' | 'draft' | 'scheduled' | 'open' | 'closed' | 'soldOut';

/** Everything the page shows, in one place. */
export interface View {
  lang: Lang;
  event: EventInfo | null;
  eventError: Message | null;
  step: Step;
  email: string;
  /** The sign-in the latest code sent to `email` belongs to: verify names it (docs/security.md). */
  challengeId: string | null;
  /** What the email of that sign-in's code is marked with. */
  reference: string | null;
  session: Session | null;
  codeMinutes: number;
  /** performance.now() from which a new code may be asked for. */
  resendAt: number;
  busy: null | 'send' | 'verify' | 'apply';
  msg: { email?: Message; code?: Message; apply?: Message };
  retry: Retry | null;
  /** null on the result step: not known yet (a reload asks the stream). */
  result: Result | null;
  /** The remaining stock, as the event's stream last pushed it. */
  stock: { remaining: number; total: number; soldOut: boolean } | null;
  /** The receipt in the address (#receipt=…: the winner's "Check it", or a link they shared), and its check as far as it went. */
  check: null | { receipt: string; result: { state: 'checking' } | ReceiptCheck };
  /** The event's public log: its size and root, when its checkpoint's signature holds. */
  checkpoint: CheckpointCheck | null;
  /** The server's clock. */
  now(): number;
}

/** Where the event stands now, on the server's clock: the opening needs no answer from the server. */
export function phase(e: EventInfo | null, now: number): Phase {
  if (!e) return 'loading';
  if (e.state === 'closed' || (e.closesAt && now >= Date.parse(e.closesAt))) return 'closed';
  if (e.soldOut) return 'soldOut';
  if (e.state === 'draft') return 'draft';
  if (e.opensAt && now < Date.parse(e.opensAt)) return 'scheduled';
  return 'open';
}

const DEFAULT_NAME = "Terning's Final Gift";
const $ = (id: string) => document.getElementById(id)!;
const setText = (el: HTMLElement, s: string) => {
  if (el.textContent !== s) el.textContent = s;
};
const setHidden = (el: HTMLElement, hidden: boolean) => {
  if (el.hidden !== hidden) el.hidden = hidden;
};

function when(lang: Lang, iso: string, withSeconds = false): string {
  const locale = lang === 'ko' ? 'ko-KR' : 'en-US';
  const d = new Date(iso);
  const sameDay = new Date().toDateString() === d.toDateString();
  return new Intl.DateTimeFormat(locale, {
    ...(sameDay ? {} : { month: 'long', day: 'numeric', weekday: 'short' }),
    hour: 'numeric',
    minute: '2-digit',
    ...(withSeconds ? { second: '2-digit' } : {}),
  }).format(d);
}

function say(id: string, lang: Lang, m: Message | undefined): void {
  const el = $(id);
  setText(el, m ? text(lang, m.key, m.params) : '');
  el.classList.toggle('error', !!m?.error);
}

/** Draws the state; returns whether applying is possible right now. */
export function render(v: View): boolean {
  const { lang } = v;
  const t = (key: TextKey, params?: Record<string, string | number>) => text(lang, key, params);
  const now = v.now();
  const p = phase(v.event, now);

  if (document.documentElement.lang !== lang) document.documentElement.lang = lang;
  const title = `${t('title')} · terning`;
  if (document.title !== title) document.title = title;
  for (const el of document.querySelectorAll<HTMLElement>('[data-t]')) setText(el, t(el.dataset.t as TextKey));
  const langButton = $('lang');
  setText(langButton, t('switchTo'));
  langButton.setAttribute('aria-label', t('switchLabel'));
  langButton.setAttribute('lang', lang === 'ko' ? 'en' : 'ko');

  const e = v.event;
  const stateText = v.eventError
    ? text(lang, v.eventError.key, v.eventError.params)
    : p === 'loading'
      ? t('loading')
      : p === 'draft'
        ? t('stateDraft')
        : p === 'scheduled'
          ? t('stateScheduled', { at: when(lang, e!.opensAt!) })
          : p === 'open'
            ? e!.closesAt
              ? t('stateOpenUntil', { at: when(lang, e!.closesAt) })
              : t('stateOpen')
            : p === 'closed'
              ? t('stateClosed')
              : t('stateSoldOut');
  setText($('event-state'), stateText);
  $('event-state').dataset.phase = p;
  setText($('event-name'), e && e.name !== DEFAULT_NAME ? e.name : '');
  setHidden($('countdown'), p !== 'scheduled');
  const stock = v.stock;
  setHidden($('stock'), !stock || stock.total === 0 || p === 'closed');
  if (stock) {
    setText($('stock'), stock.soldOut ? t('stateSoldOut') : t('stockLeft', { remaining: stock.remaining, total: stock.total }));
    $('stock').dataset.soldOut = String(stock.soldOut);
  }
  const cp = v.checkpoint;
  setHidden($('checkpoint'), !cp);
  if (cp) setText($('checkpoint'), cp.holds ? t('checkpoint', { size: cp.size, root: `${cp.root.slice(0, 12)}…` }) : t('checkpointBad'));
  $('checkpoint').classList.toggle('error', cp?.holds === false);
  $('checkpoint').dataset.holds = cp ? String(cp.holds) : '';
  if (p === 'scheduled') setText($('countdown-value'), countdown(Date.parse(e!.opensAt!) - now, t('day')));

  setHidden($('step-email'), v.step !== 'email');
  setHidden($('step-code'), v.step !== 'code');
  setHidden($('step-apply'), v.step !== 'apply');
  setHidden($('step-result'), v.step !== 'result');
  setHidden($('sign-out'), !v.session);

  const send = $('send') as HTMLButtonElement;
  send.disabled = v.busy === 'send';
  setText(send, t(v.busy === 'send' ? 'sending' : 'send'));
  say('msg-email', lang, v.msg.email);

  setText(
    $('code-sent-to'),
    v.reference
      ? t('codeSentToRef', { email: v.email, minutes: v.codeMinutes, ref: v.reference })
      : t('codeSentTo', { email: v.email, minutes: v.codeMinutes }),
  );
  const verify = $('verify') as HTMLButtonElement;
  verify.disabled = v.busy === 'verify';
  setText(verify, t(v.busy === 'verify' ? 'verifying' : 'verify'));
  const wait = Math.ceil((v.resendAt - performance.now()) / 1000);
  const resend = $('resend') as HTMLButtonElement;
  resend.disabled = wait > 0 || v.busy === 'send';
  setText(resend, wait > 0 ? t('resendIn', { s: wait }) : t('resend'));
  say('msg-code', lang, v.msg.code);

  setText($('signed-in-as'), v.session ? t('signedInAs', { email: v.session.email }) : '');
  const apply = $('apply') as HTMLButtonElement;
  apply.disabled = p !== 'open' || v.busy === 'apply' || !!v.retry;
  setText(
    apply,
    v.busy === 'apply' || v.retry
      ? t('applying')
      : p === 'open'
        ? t('apply')
        : p === 'scheduled'
          ? t('applyOpensAt', { at: when(lang, e!.opensAt!, true) })
          : p === 'closed'
            ? t('applyClosed')
            : p === 'soldOut'
              ? t('applySoldOut')
              : t('applyDraft'),
  );
  say('msg-apply', lang, v.retry ? retryMessage(v.retry, v.busy === 'apply') : v.msg.apply);

  renderResult(v, t);
  return p === 'open';
}

function retryMessage(r: Retry, now: boolean): Message {
  const params = { n: r.attempt, max: r.max, s: Math.max(1, Math.ceil((r.at - performance.now()) / 1000)) };
  return { key: now ? 'retryingNow' : r.network ? 'retryNetwork' : 'retryBusy', params };
}

function renderResult(v: View, t: (key: TextKey, params?: Record<string, string | number>) => string): void {
  const r = v.result;
  const box = $('step-result');
  box.dataset.status = r?.status ?? 'LOADING';
  setText(
    $('result-title'),
    t(!r ? 'resultLoading' : r.status === 'WON' ? 'resultWonTitle' : r.status === 'SOLD_OUT' ? 'resultSoldOutTitle' : 'resultPendingTitle'),
  );
  setText(
    $('result-body'),
    !r
      ? ''
      : r.status === 'WON'
        ? t('resultWonBody', { email: v.session?.email ?? '' })
        : r.status === 'SOLD_OUT'
          ? t('resultSoldOutBody')
          : t('resultPendingBody'),
  );
  setHidden($('result-spinner'), !!r && r.status !== 'PENDING');
  const held = r && r.status !== 'SOLD_OUT' ? r : null;
  setText($('result-ticket'), held ? t('ticket', { ticket: held.ticket }) : '');
  setText($('result-decided'), held?.decidedAt ? t('decidedAt', { at: when(v.lang, held.decidedAt, true) }) : '');
  const receipt = r?.status === 'WON' ? r.receipt : undefined;
  setHidden($('receipt'), !receipt);
  const area = $('receipt-text') as HTMLTextAreaElement;
  if (receipt && area.value !== receipt) area.value = receipt;
  // A link anyone can open: the receipt rides in the fragment, which no browser sends to a server.
  const href = receipt ? `#receipt=${receipt}` : '#';
  if ($('receipt-check').getAttribute('href') !== href) $('receipt-check').setAttribute('href', href);

  const c = v.check?.result;
  setHidden($('check'), !c);
  const said = !c
    ? ''
    : c.state === 'checking'
      ? t('receiptChecking')
      : c.state === 'ok'
        ? t('receiptChecked', { ticket: c.ticket, index: c.index, size: c.size })
        : c.state === 'notYet'
          ? t('receiptNotYet')
          : t('receiptFailed', { why: c.why });
  setText($('check-result'), said);
  $('check-result').dataset.state = c?.state ?? '';
  $('check-result').classList.toggle('error', c?.state === 'failed');
  ($('check-again') as HTMLButtonElement).disabled = c?.state === 'checking';
}

const FOCUS: Record<Step, string> = { email: 'email', code: 'code', apply: 'apply', result: 'result-title' };

/** Moves focus to where the next step starts: its field, its button, or (disabled) its heading. */
export function focusStep(step: Step): void {
  const el = $(FOCUS[step]) as HTMLElement & { disabled?: boolean };
  (el.disabled ? $(`${step}-title`) : el).focus();
}
