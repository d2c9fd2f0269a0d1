/**
 * Who the participant is, kept in localStorage so that a reload or a second tab shows the same state:
 * the email, the token and when it expires, and the events they applied to.
 */
export interface Session {
  email: string;
  token: string;
  expiresAt: number;
}

const KEY = 'terning.session';
const appliedKey = (event: string) => `terning.applied.${event}`;

function read<T>(key: string): T | null {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null') as T | null;
  } catch {
    return null;
  }
}

export function loadSession(now: number): Session | null {
  const s = read<Session>(KEY);
  return s && typeof s.token === 'string' && s.expiresAt > now ? s : null;
}

export function saveSession(s: Session): void {
  localStorage.setItem(KEY, JSON.stringify(s));
}

/**
 * The sign-in under way: the challenge a send opened, kept so that a reload or a second tab that meets
 * CODE_RECENTLY_SENT for the same address still verifies against it, not only as the latest code.
 */
export interface PendingSignIn {
  email: string;
  challengeId: string;
  reference: string;
  expiresAt: number;
}

const PENDING_KEY = 'terning.signin';

export function savePendingSignIn(p: PendingSignIn): void {
  localStorage.setItem(PENDING_KEY, JSON.stringify(p));
}

export function pendingSignIn(email: string, now: number): PendingSignIn | null {
  const p = read<PendingSignIn>(PENDING_KEY);
  return p && p.email === email && typeof p.challengeId === 'string' && p.expiresAt > now ? p : null;
}

export function forgetPendingSignIn(): void {
  localStorage.removeItem(PENDING_KEY);
}

export function endSession(): void {
  localStorage.removeItem(KEY);
  for (const k of Object.keys(localStorage)) if (k.startsWith('terning.applied.')) localStorage.removeItem(k);
}

/** Which email applied to the event from this browser (null: nobody yet). */
export function appliedAs(event: string): string | null {
  return read<string>(appliedKey(event));
}

export function markApplied(event: string, email: string): void {
  localStorage.setItem(appliedKey(event), JSON.stringify(email));
}

export function forgetApplied(event: string): void {
  localStorage.removeItem(appliedKey(event));
}

export const savedLang = () => (localStorage.getItem('terning.lang') === 'en' ? 'en' : 'ko');
export const saveLang = (lang: string) => localStorage.setItem('terning.lang', lang);
