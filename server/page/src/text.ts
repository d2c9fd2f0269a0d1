import type { ErrorCode } from '../../../core/domain/errors.ts';

/** Every word on the page, Korean first (the original's audience), English behind the switch. */
export type Lang = 'ko' | 'en';
type Params = Record<string, string | number>;
type Entry = string | ((p: Params) => string);

const ko = {
  title: '터닝의 마지막 선물',
  lead: '선착순 선물 이벤트',
  switchTo: 'English',
  switchLabel: 'Switch to English',
  loading: '이벤트 정보를 불러오는 중…',
  stateDraft: '아직 오픈 일정이 정해지지 않았어요',
  stateScheduled: (p: Params) => `${p.at} 오픈`,
  stateOpen: '지금 응모할 수 있어요',
  stateOpenUntil: (p: Params) => `지금 응모할 수 있어요 · ${p.at} 마감`,
  stateClosed: '이벤트가 종료되었어요',
  stateSoldOut: '선물이 모두 소진되었어요',
  opensIn: '오픈까지',
  day: '일',
  emailTitle: '1. 이메일 인증',
  emailHelp: '당첨 안내를 받을 이메일 주소를 입력하세요.',
  emailLabel: '이메일 주소',
  send: '인증 코드 받기',
  sending: '보내는 중…',
  codeTitle: '2. 인증 코드 입력',
  codeSentTo: (p: Params) => `${p.email}(으)로 6자리 코드를 보냈어요. ${p.minutes}분 안에 입력하세요.`,
  codeSentToRef: (p: Params) =>
    `${p.email}(으)로 6자리 코드를 보냈어요. 제목에 ${p.ref}이(가) 있는 메일의 코드를 ${p.minutes}분 안에 입력하세요.`,
  codeLabel: '인증 코드 6자리',
  verify: '확인',
  verifying: '확인하는 중…',
  resend: '코드 다시 받기',
  resendIn: (p: Params) => `코드 다시 받기 (${p.s}초)`,
  resent: '새 코드를 보냈어요. 가장 최근에 받은 코드를 입력하세요.',
  changeEmail: '이메일 바꾸기',
  applyTitle: '3. 응모',
  signedInAs: (p: Params) => `${p.email}(으)로 인증되었어요.`,
  apply: '응모하기',
  applying: '접수하는 중…',
  applyOpensAt: (p: Params) => `${p.at}에 열려요`,
  applyClosed: '응모가 마감되었어요',
  applySoldOut: '선물이 모두 소진되었어요',
  applyDraft: '아직 응모할 수 없어요',
  nowOpen: '지금 응모할 수 있어요! 응모하기 버튼을 누르세요.',
  retryBusy: (p: Params) => `지금 응모가 몰려 있어요. ${p.s}초 뒤에 자동으로 다시 시도해요 (${p.n}/${p.max}번째). 이 화면을 그대로 두세요.`,
  retryNetwork: (p: Params) => `서버에 연결할 수 없어요. ${p.s}초 뒤에 자동으로 다시 시도해요 (${p.n}/${p.max}번째).`,
  retryingNow: (p: Params) => `다시 시도하는 중… (${p.n}/${p.max}번째)`,
  resultLoading: '결과를 불러오는 중…',
  resultPendingTitle: '거의 다 됐어요',
  resultPendingBody: '응모를 기록하고 있어요. 결과가 이 화면에 바로 나타나요.',
  resultWonTitle: '당첨되었어요!',
  resultWonBody: (p: Params) => `선물 안내를 ${p.email}(으)로 보내드려요.`,
  resultSoldOutTitle: '아쉽게도 선물이 모두 소진되었어요',
  resultSoldOutBody: '먼저 오신 분들께 선물이 모두 돌아갔어요. 이번 응모는 접수되지 않았고, 더 하실 일은 없어요. 참여해 주셔서 고마워요.',
  ticket: (p: Params) => `접수 순번 ${p.ticket}번`,
  decidedAt: (p: Params) => `결정 시각 ${p.at}`,
  signOut: '다른 이메일로 하기',
  errEmailInvalid: '이메일 주소를 확인해 주세요.',
  errCodeFormat: '6자리 숫자를 입력해 주세요.',
  errCodeRecentlySent: (p: Params) => `방금 코드를 보냈어요. ${p.s}초 뒤에 다시 받을 수 있어요.`,
  errTooManyCodes: '코드 요청이 너무 많았어요. 잠시 뒤에 다시 시도해 주세요.',
  errEmailUnavailable: '메일을 보내지 못했어요. 잠시 뒤에 다시 시도해 주세요.',
  errCodeInvalid: (p: Params) => `코드가 맞지 않아요. ${p.n}번 더 시도할 수 있어요.`,
  errCodeSpent: '이 코드로는 로그인할 수 없어요(만료, 사용됨, 또는 시도 횟수 초과). 새 코드를 받아 주세요.',
  errTooManyFailed: '잘못된 코드가 너무 많았어요. 잠시 뒤에 다시 시도해 주세요.',
  errNotOpen: '아직 응모 시간이 아니에요.',
  errBusy: '지금 응모가 몰려 있어 아직 응모가 확정되지 않았어요. 잠시 뒤에 응모하기를 다시 눌러 주세요.',
  errTooFast: '너무 빨리 누르고 있어요. 잠시 뒤에 다시 시도해 주세요.',
  errSession: '인증이 만료되었어요. 이메일을 다시 인증해 주세요.',
  errNoEvent: '아직 열리지 않았거나 없는 이벤트예요.',
  errNetwork: '서버에 연결할 수 없어요. 인터넷 연결을 확인해 주세요.',
  errOther: (p: Params) => `문제가 생겼어요. 다시 시도해 주세요. (${p.code})`,
  stockLeft: (p: Params) => `남은 선물 ${p.remaining} / ${p.total}개`,
  receiptTitle: '당첨 영수증',
  receiptHelp: '서명된 당첨 증명이에요. 보관하거나 ‘확인하기’ 링크를 공유하세요: 링크를 연 사람 누구나 공개 기록에서 확인할 수 있어요.',
  receiptCheck: '확인하기',
  checkTitle: '당첨 영수증 확인',
  checkHelp: '이 링크에 담긴 영수증을 브라우저에서 서명된 공개 기록과 대조해요. 영수증은 링크의 # 뒤에만 있어 서버로 보내지 않아요.',
  checkAgain: '다시 확인하기',
  receiptChecking: '확인하는 중…',
  receiptChecked: (p: Params) =>
    `확인됨: 서명이 맞고, 서명된 공개 기록의 ${p.size}개 항목 중 ${p.index}번째가 이 당첨(${p.ticket}번)이에요.`,
  receiptNotYet: '아직 공개 기록에 들어가지 않았어요(몇 초 걸려요). 잠시 후 다시 확인하세요.',
  receiptFailed: (p: Params) => `확인되지 않았어요 (${p.why}): 이 영수증을 믿지 마세요.`,
  checkpoint: (p: Params) => `공개 기록: ${p.size}개 항목 · 루트 ${p.root} · 공개 키의 서명 확인됨`,
  checkpointBad: '공개 기록: 체크포인트가 공개된 키로 서명되지 않았어요. 믿지 마세요.',
};

const en: { [K in keyof typeof ko]: Entry } = {
  title: "Terning's Final Gift",
  lead: 'First come, first served',
  switchTo: '한국어',
  switchLabel: '한국어로 보기',
  loading: 'Loading the event…',
  stateDraft: 'The opening time has not been set yet',
  stateScheduled: (p) => `Opens ${p.at}`,
  stateOpen: 'Open now',
  stateOpenUntil: (p) => `Open now · closes ${p.at}`,
  stateClosed: 'The event has ended',
  stateSoldOut: 'All the gifts are gone',
  opensIn: 'Opens in',
  day: 'd',
  emailTitle: '1. Verify your email',
  emailHelp: 'Enter the address where you want to hear if you won.',
  emailLabel: 'Email address',
  send: 'Send me a code',
  sending: 'Sending…',
  codeTitle: '2. Enter the code',
  codeSentTo: (p) => `We sent a 6-digit code to ${p.email}. Enter it within ${p.minutes} minutes.`,
  codeSentToRef: (p) => `We sent a 6-digit code to ${p.email}, in the email marked ${p.ref}. Enter it within ${p.minutes} minutes.`,
  codeLabel: '6-digit code',
  verify: 'Verify',
  verifying: 'Verifying…',
  resend: 'Send a new code',
  resendIn: (p) => `Send a new code (${p.s} s)`,
  resent: 'A new code is on its way. Enter the most recent one.',
  changeEmail: 'Change email',
  applyTitle: '3. Apply',
  signedInAs: (p) => `Verified as ${p.email}.`,
  apply: 'Apply',
  applying: 'Applying…',
  applyOpensAt: (p) => `Opens at ${p.at}`,
  applyClosed: 'Applications are closed',
  applySoldOut: 'All the gifts are gone',
  applyDraft: 'Not open yet',
  nowOpen: 'Applications are open! Press Apply.',
  retryBusy: (p) => `It is very busy right now. Trying again by itself in ${p.s} s (attempt ${p.n} of ${p.max}). Keep this page open.`,
  retryNetwork: (p) => `The server can not be reached. Trying again by itself in ${p.s} s (attempt ${p.n} of ${p.max}).`,
  retryingNow: (p) => `Trying again… (attempt ${p.n} of ${p.max})`,
  resultLoading: 'Loading your result…',
  resultPendingTitle: 'Almost there',
  resultPendingBody: 'We are recording your application. Your result will appear right here.',
  resultWonTitle: 'You won!',
  resultWonBody: (p) => `We will send the details to ${p.email}.`,
  resultSoldOutTitle: 'Sorry, all the gifts are gone',
  resultSoldOutBody:
    'Every gift went to someone who came earlier. You have not been entered, and there is nothing more to do. Thank you for taking part.',
  ticket: (p) => `Place in line: #${p.ticket}`,
  decidedAt: (p) => `Decided at ${p.at}`,
  signOut: 'Use another email',
  errEmailInvalid: 'Please check the email address.',
  errCodeFormat: 'Please enter the 6 digits.',
  errCodeRecentlySent: (p) => `A code was just sent. You can ask again in ${p.s} s.`,
  errTooManyCodes: 'Too many codes were asked for. Please try again later.',
  errEmailUnavailable: 'The email could not be sent. Please try again shortly.',
  errCodeInvalid: (p) => `That code is wrong. ${p.n} attempt(s) left.`,
  errCodeSpent: 'That code no longer signs you in (expired, used, or too many tries). Please ask for a new one.',
  errTooManyFailed: 'Too many wrong codes. Please try again later.',
  errNotOpen: 'Applications are not open yet.',
  errBusy: 'It is very busy, and your application is not confirmed yet. Please press Apply again in a moment.',
  errTooFast: 'You are pressing too fast. Please wait a moment.',
  errSession: 'Your verification has expired. Please verify your email again.',
  errNoEvent: 'This event is not open yet, or there is no such event.',
  errNetwork: 'The server can not be reached. Please check your connection.',
  errOther: (p) => `Something went wrong. Please try again. (${p.code})`,
  stockLeft: (p) => `${p.remaining} of ${p.total} gifts left`,
  receiptTitle: 'Your receipt',
  receiptHelp:
    'Signed proof of your win. Keep it, or share the “Check it” link: anyone who opens it checks your win against the public log.',
  receiptCheck: 'Check it',
  checkTitle: 'A receipt, checked',
  checkHelp:
    'The receipt in this link, checked in your browser against the signed public log. It stays in the link after the #: it is never sent to the server.',
  checkAgain: 'Check again',
  receiptChecking: 'Checking…',
  receiptChecked: (p) =>
    `Checked: the signature holds, and this win (ticket ${p.ticket}) is entry ${p.index} of ${p.size} in the signed public log.`,
  receiptNotYet: 'Not in the public log yet (it takes a few seconds). Check again in a moment.',
  receiptFailed: (p) => `Does NOT check (${p.why}): do not trust this receipt.`,
  checkpoint: (p) => `Public log: ${p.size} entries · root ${p.root} · signed by a published key`,
  checkpointBad: 'Public log: its checkpoint is NOT signed by a published key. Do not trust it.',
};

export type TextKey = keyof typeof ko;
export interface Message {
  key: TextKey;
  params?: Params;
  error?: boolean;
}

const dictionaries: Record<Lang, { [K in TextKey]: Entry }> = { ko, en };

export function text(lang: Lang, key: TextKey, params: Params = {}): string {
  const entry = dictionaries[lang][key];
  return typeof entry === 'function' ? entry(params) : entry;
}

/** What the participant reads for one of the API's error codes. */
export function errorMessage(
  code: string,
  details: { attemptsLeft?: number; retryAfterSeconds?: number } = {},
  field?: 'email' | 'code',
): Message {
  const s = details.retryAfterSeconds ?? 5;
  // Keyed by the API's codes as core/domain/errors.ts names them (a code renamed there fails here), and the page's own NETWORK.
  const byCode: { [code in ErrorCode | 'NETWORK']?: Message } = {
    VALIDATION_FAILED: { key: field === 'code' ? 'errCodeFormat' : 'errEmailInvalid' },
    CODE_RECENTLY_SENT: { key: 'errCodeRecentlySent', params: { s } },
    TOO_MANY_CODES: { key: 'errTooManyCodes' },
    EMAIL_UNAVAILABLE: { key: 'errEmailUnavailable' },
    CODE_SENDS_BUSY: { key: 'errEmailUnavailable' },
    // One answer for every code that does not sign in; the sign-in's own tries left tell which to say.
    CODE_INVALID: details.attemptsLeft ? { key: 'errCodeInvalid', params: { n: details.attemptsLeft } } : { key: 'errCodeSpent' },
    TOO_MANY_FAILED_CODES: { key: 'errTooManyFailed' },
    EVENT_NOT_OPEN: { key: 'errNotOpen' },
    QUEUE_UNAVAILABLE: { key: 'errBusy' },
    STATE_UNAVAILABLE: { key: 'errBusy' },
    STATE_RESTORING: { key: 'errBusy' },
    TOO_MANY_REQUESTS: { key: 'errTooFast' },
    TOKEN_EXPIRED: { key: 'errSession' },
    TOKEN_INVALID: { key: 'errSession' },
    TOKEN_MISSING: { key: 'errSession' },
    EVENT_NOT_FOUND: { key: 'errNoEvent' },
    NETWORK: { key: 'errNetwork' },
  };
  return { ...(byCode[code as ErrorCode] ?? { key: 'errOther', params: { code } }), error: true };
}
