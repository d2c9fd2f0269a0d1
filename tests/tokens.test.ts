import test from 'ava';
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { CLOCK_SKEW_SECONDS, Tokens } from '../core/use-cases/sign-in/tokens.ts';
import { AppError } from '../core/platform/errors.ts';
import { LocalWindow } from '../core/platform/local-window.ts';
import { mintTokens } from '../loadtest/tokens.ts';

// The verifier on its own, with the cases a JWT library would catch and the route tests don't reach.
const settings = { secret: randomBytes(24).toString('hex'), issuer: 'terning', audience: 'terning-api', ttlSeconds: 600 };
const tokens = new Tokens(settings);
const key = new TextEncoder().encode(settings.secret);
const email = `p-${randomBytes(4).toString('hex')}@tokens.test`;
const now = () => Math.floor(Date.now() / 1000);

const sign = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
  new SignJWT({ sub: email, iss: settings.issuer, aud: settings.audience, iat: now(), exp: now() + 60, ...claims })
    .setProtectedHeader({ alg: 'HS256', ...header })
    .sign(key);

function refusedWith(t: import('ava').ExecutionContext, token: string, code: string) {
  const e = t.throws(() => tokens.verify(token));
  t.true(e instanceof AppError, `${token}: ${String(e)}`);
  t.is((e as AppError).status, 401);
  t.is((e as AppError).code, code);
}

test('a token from the contract is accepted: issued here, minted by load tools, signed with jose', async (t) => {
  t.is(tokens.verify(await tokens.issue(email)), email);
  t.is(tokens.verify(mintTokens(settings, [email])[0]!), email);
  t.is(tokens.verify(await sign({}, {})), email);
  t.is(tokens.verify(await sign({ typ: 'JWT' }, { aud: ['other', settings.audience] })), email);
});

test('a token issued here is a standard JWT: jose verifies its signature, issuer, audience and lifetime', async (t) => {
  const issuedAt = Date.now();
  const { payload, protectedHeader } = await jwtVerify(await tokens.issue(email, issuedAt), key, {
    issuer: settings.issuer,
    audience: settings.audience,
  });
  t.deepEqual(protectedHeader, { alg: 'HS256', typ: 'JWT' });
  t.is(payload.sub, email);
  t.is(payload.iat, Math.floor(issuedAt / 1000));
  t.is(payload.exp, payload.iat! + settings.ttlSeconds);
});

test('a token is refused for its header, its signature, its shape or its claims', async (t) => {
  const good = await sign({}, {});
  const [h, p, s] = good.split('.') as [string, string, string];
  refusedWith(t, await sign({ crit: ['b64'], b64: true }, {}), 'TOKEN_INVALID');
  refusedWith(t, await sign({ typ: 'JOSE+JSON' }, {}), 'TOKEN_INVALID');
  refusedWith(t, `${h}.${p}.${s}A`, 'TOKEN_INVALID');
  refusedWith(t, `${h}.${p}.${s.slice(0, -1)}`, 'TOKEN_INVALID');
  refusedWith(t, `${h}.${p}`, 'TOKEN_INVALID');
  refusedWith(t, `${h}.${p}.${s}.x`, 'TOKEN_INVALID');
  refusedWith(t, `.${p}.${s}`, 'TOKEN_INVALID');
  refusedWith(t, `${h}..${s}`, 'TOKEN_INVALID');
  refusedWith(t, '', 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { nbf: now() + 60 }), 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { exp: 'soon' }), 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { exp: -1 }), 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { iat: 'now' }), 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { aud: [] }), 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { sub: 42 }), 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { exp: now() - 1 }), 'TOKEN_EXPIRED');
  // The signature is checked before the claims are even read: claims swapped into a good token fail.
  const other = (await sign({}, { sub: `x${email}` })).split('.')[1];
  refusedWith(t, `${h}.${other}.${s}`, 'TOKEN_INVALID');
  // A header that is no JSON object.
  const bad = Buffer.from('[1]').toString('base64url');
  refusedWith(t, `${bad}.${p}.${s}`, 'TOKEN_INVALID');
});

test('a token lives no longer than the token lifetime: iat required, not in the future, exp - iat bounded', async (t) => {
  const ttl = settings.ttlSeconds;
  const skew = CLOCK_SKEW_SECONDS;
  refusedWith(t, await sign({}, { iat: undefined }), 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { exp: now() + 100 * 365 * 86_400 }), 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { exp: 1e308 }), 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { iat: now() + skew + 5, exp: now() + skew + 65 }), 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { iat: now() + 86_400, exp: now() + 86_400 + ttl }), 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { iat: now(), exp: now() + ttl + skew + 5 }), 'TOKEN_INVALID');
  refusedWith(t, await sign({}, { iat: -1e308, exp: now() + 60 }), 'TOKEN_INVALID');
  // Within the lifetime and the skew, a token minted by a clock a little ahead is still good.
  t.is(tokens.verify(await sign({}, { iat: now() + skew - 5, exp: now() + skew - 5 + ttl })), email);
  t.is(tokens.verify(await sign({}, { iat: now() - 10, exp: now() - 10 + ttl + skew })), email);
  t.is(tokens.verify(mintTokens(settings, [email], now() - ttl + 30)[0]!), email, "a load tool's token until its exp");
});

test('a local window allows its points per key, then names the wait until it turns', (t) => {
  const w = new LocalWindow(3, 10_000);
  const t0 = 1_000_000;
  t.is(w.take('a', t0), 0);
  t.is(w.take('a', t0 + 1), 0);
  t.is(w.take('a', t0 + 2), 0);
  t.is(w.take('a', t0 + 2_500), 7_500);
  t.is(w.take('b', t0 + 2_500), 0, 'another key has its own window');
  t.is(w.take('a', t0 + 10_000), 0, 'a new window starts when the old one turns');
  t.is(w.take('z', t0 + 30_000), 0);
  t.is(w.size, 1, 'expired windows are swept');
});
