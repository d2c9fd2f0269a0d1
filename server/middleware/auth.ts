import type { Context, Middleware } from 'koa';
import type { IncomingMessage } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { unauthorized } from '../../core/platform/errors.ts';
import { personOf } from '../../core/use-cases/participant/identity.ts';
import type { Tokens } from '../../core/use-cases/sign-in/tokens.ts';
import { networkOf, type NetworkPrefixes } from '../../core/use-cases/sign-in/network.ts';
import type { Limits } from '../../core/adapters/redis/limits.ts';
import { ErrorCode } from '../../core/domain/errors.ts';

/**
 * A participant's route: the Bearer token names the (normalised) email the person typed, in
 * ctx.state.email (where mail goes), and the person it belongs to, in ctx.state.person (core/use-cases/participant/identity.ts).
 */
export function bearer(tokens: Tokens): Middleware {
  return (ctx, next) => {
    authenticate(ctx, tokens);
    return next();
  };
}

/** The characters a token may hold (base64url and the JWT dots, with the b64token extras of RFC 6750). */
export const TOKEN = /^[A-Za-z0-9._~+/=-]+$/;
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

/** The token of an "Authorization: Bearer <token>" header; null when the header is not one. */
export const bearerOf = (header: string | undefined): string | null => (header === undefined ? null : (BEARER.exec(header)?.[1] ?? null));

const VERIFIED = Symbol('terning.verified-email');

/**
 * The email a request's bearer token names, its signature checked once per request: an apply is
 * checked before Koa (server/apply/1-sold-out-answer.ts), and a winner's goes on to the lane, which would
 * check it again (an HMAC, a JSON parse and the email rules: a fifteenth of the API's work in a drop).
 */
export function verifiedEmail(req: IncomingMessage, token: string, tokens: Tokens): string {
  const checked = req as IncomingMessage & { [VERIFIED]?: string };
  return (checked[VERIFIED] ??= tokens.verify(token));
}

/** What bearer() does, for a route that runs ahead of the chain (server/apply/4-koa-lane.ts). */
export function authenticate(ctx: Context, tokens: Tokens): void {
  const header = ctx.req.headers.authorization;
  if (!header) throw unauthorized(ErrorCode.TOKEN_MISSING, 'send the token from verify-code as "Authorization: Bearer <token>"');
  const token = bearerOf(header);
  if (token === null) throw unauthorized(ErrorCode.TOKEN_INVALID, 'the Authorization header must be "Bearer <token>"');
  const email = verifiedEmail(ctx.req, token, tokens);
  ctx.state.email = email;
  ctx.state.person = personOf(email);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether a header holds the admin key, compared in constant time (digests of equal length). */
export function adminKeyCheck(key: string): (given: string | string[] | undefined) => boolean {
  const expected = digest(key);
  return (given) => typeof given === 'string' && given !== '' && timingSafeEqual(digest(given), expected);
}

/**
 * An operator's route: X-ADMIN-KEY, compared in constant time (digests of equal length). Each key
 * compared takes one of its network's tries first (an IPv6 /64 is one network, as for sign-in), and
 * the right key gives it back: a network that keeps guessing is refused with 429 before its next
 * guess is even compared, however many it sends at once.
 */
export function adminKey(key: string, limits: Limits, prefixes: NetworkPrefixes): Middleware {
  const holdsKey = adminKeyCheck(key);
  return async (ctx, next) => {
    const network = networkOf(ctx.ip, prefixes);
    await limits.adminCheck(network);
    if (!holdsKey(ctx.get('x-admin-key'))) throw unauthorized('ADMIN_KEY_INVALID', 'a valid X-ADMIN-KEY header is required');
    await limits.adminCheckPassed(network);
    await next();
  };
}
