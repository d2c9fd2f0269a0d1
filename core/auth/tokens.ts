import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { AppError, unauthorized } from '../errors.ts';
import { emailAddress } from '../email/address.ts';

export interface TokenSettings { secret: string; issuer: string; audience: string; ttlSeconds: number }

/**
 * The token contract (README): HS256, sub = the normalised email, iss and aud as configured, exp
 * required. Load tools mint tokens with the same secret. Verification is synchronous HMAC (fast-jwt on
 * node:crypto), on every participant's request: a thread-pool round trip per token cost the API more
 * than Redis and Kafka together. A person's repeat requests hit a small cache of verified tokens.
 */
export class Tokens {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly check: (token: string) => { sub?: unknown };

  constructor(settings: TokenSettings) {
    this.sign = createSigner({
      key: settings.secret,
      algorithm: 'HS256',
      iss: settings.issuer,
      aud: settings.audience,
      expiresIn: settings.ttlSeconds * 1000,
    });
    this.check = createVerifier({
      key: settings.secret,
      algorithms: ['HS256'],
      allowedIss: settings.issuer,
      allowedAud: settings.audience,
      requiredClaims: ['exp', 'sub'],
      cache: 10_000,
    });
  }

  issue(email: string): Promise<string> {
    return Promise.resolve(this.sign({ sub: email }));
  }

  /** Returns the email the token was issued to. */
  async verify(token: string): Promise<string> {
    try {
      const { sub } = this.check(token);
      // A token minted elsewhere (load tools do) must still name one normalised address: `A@x.io` and
      // `a@x.io` are one person, and a subject that is no email could never be decided.
      const email = emailAddress.safeParse(sub);
      if (!email.success || email.data !== sub) throw unauthorized('TOKEN_INVALID', 'the token does not name a normalised email address');
      return email.data;
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (e instanceof TokenError && e.code === TokenError.codes.expired) throw unauthorized('TOKEN_EXPIRED', 'the token has expired; verify your email again');
      throw unauthorized('TOKEN_INVALID', 'the token is not valid');
    }
  }
}
