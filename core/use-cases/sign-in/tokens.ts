import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { unauthorized } from '../../platform/errors.ts';
import { emailAddress } from '../../domain/rules.ts';
import { ErrorCode } from '../../domain/errors.ts';

export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

const invalid = (why = 'the token is not valid') => unauthorized(ErrorCode.TOKEN_INVALID, why);

/** Headers of tokens that passed (HS256, no critical extensions) are not parsed again: a herd's tokens share one or two. */
const MAX_KNOWN_HEADERS = 16;

/** Clocks of the load tools that mint tokens may run a little ahead of ours. */
export const CLOCK_SKEW_SECONDS = 60;

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** An HS256 JWS of the claims: what `Tokens` issues and verifies, and what the load tools mint. */
export function signToken(key: KeyObject, claims: Record<string, unknown>): string {
  const signed = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signed}.${createHmac('sha256', key).update(signed).digest('base64url')}`;
}

/**
 * The token contract (docs/api.md): HS256, sub = the normalised email, iss and aud as configured, iat and
 * exp required, and no longer apart than the token lifetime: a leaked key or a careless load tool can't
 * make a token that lives for years. Load tools mint tokens with the same secret.
 *
 * Signing and verification are written out here on node:crypto. Verifying is a split, one HMAC-SHA256
 * compared in constant time, one JSON.parse, the claims. It runs on every participant's request, and a
 * general JWT library cost the API more per apply than Redis and Kafka together (25 µs, a fifth of the
 * request: decoding the header every time, a cache keyed by a SHA-256 of the token that no herd ever
 * hits).
 */
export class Tokens {
  /** A KeyObject: createHmac imports a Buffer key anew on every call, 7x the cost of the HMAC itself. */
  private readonly key: KeyObject;
  private readonly knownHeaders = new Set<string>();

  constructor(private readonly settings: TokenSettings) {
    this.key = createSecretKey(Buffer.from(settings.secret, 'utf8'));
  }

  issue(email: string, now = Date.now()): Promise<string> {
    const iat = Math.floor(now / 1000);
    const { issuer: iss, audience: aud, ttlSeconds } = this.settings;
    return Promise.resolve(signToken(this.key, { sub: email, iss, aud, iat, exp: iat + ttlSeconds }));
  }

  /** Returns the email the token was issued to; synchronous, with no I/O. */
  verify(token: string, now = Date.now()): string {
    const dot1 = token.indexOf('.');
    const dot2 = token.indexOf('.', dot1 + 1);
    if (dot1 <= 0 || dot2 <= dot1 + 1 || token.indexOf('.', dot2 + 1) !== -1 || dot2 === token.length - 1) throw invalid();
    const header = token.slice(0, dot1);
    const known = this.knownHeaders.has(header);
    if (!known) checkHeader(header);
    // The signature as sent is compared with the one expected, both base64url: one spelling only.
    const expected = Buffer.from(createHmac('sha256', this.key).update(token.slice(0, dot2)).digest('base64url'), 'latin1');
    const given = Buffer.from(token.slice(dot2 + 1), 'latin1');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    if (!known && this.knownHeaders.size < MAX_KNOWN_HEADERS) this.knownHeaders.add(header);
    const claims = parseJson(token.slice(dot1 + 1, dot2));
    return this.subjectOf(claims, now);
  }

  private subjectOf(c: Record<string, unknown>, now: number): string {
    const { exp, nbf, iat, iss, aud, sub } = c;
    if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= 0) throw invalid();
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid();
    if (iat * 1000 > now + CLOCK_SKEW_SECONDS * 1000) throw invalid('the token was issued in the future');
    if (exp - iat > this.settings.ttlSeconds + CLOCK_SKEW_SECONDS) throw invalid('the token lives longer than a token may');
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf * 1000 > now)) throw invalid();
    if (iss !== this.settings.issuer) throw invalid();
    if (aud !== this.settings.audience && !(Array.isArray(aud) && aud.includes(this.settings.audience))) throw invalid();
    if (exp * 1000 <= now) throw unauthorized(ErrorCode.TOKEN_EXPIRED, 'the token has expired; verify your email again');
    // A token minted elsewhere (load tools do) must still name one normalised address: `A@x.io` and
    // `a@x.io` are one person, and a subject that is no email could never be decided.
    const email = emailAddress.safeParse(sub);
    if (!email.success || email.data !== sub) throw invalid('the token does not name a normalised email address');
    return email.data;
  }
}

/** The header must say HS256 and nothing a verifier is required to understand (crit). */
function checkHeader(header: string) {
  const h = parseJson(header);
  if (h.alg !== 'HS256' || h.crit !== undefined || (h.typ !== undefined && h.typ !== 'JWT')) throw invalid();
}

function parseJson(part: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid();
  return v as Record<string, unknown>;
}
