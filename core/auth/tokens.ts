import { SignJWT, jwtVerify, errors } from 'jose';
import { AppError, unauthorized } from '../errors.ts';
import { emailAddress } from '../email/address.ts';

export interface TokenSettings { secret: string; issuer: string; audience: string; ttlSeconds: number }

/**
 * The token contract (README): HS256, sub = the normalised email, iss and aud as configured, exp
 * required. Load tools mint tokens with the same secret.
 */
export class Tokens {
  private readonly key: Uint8Array;

  constructor(private readonly settings: TokenSettings) {
    this.key = new TextEncoder().encode(settings.secret);
  }

  issue(email: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(email)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.settings.ttlSeconds}s`)
      .sign(this.key);
  }

  /** Returns the email the token was issued to. */
  async verify(token: string): Promise<string> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['exp', 'sub'],
      });
      // A token minted elsewhere (load tools do) must still name one normalised address: `A@x.io` and
      // `a@x.io` are one person, and a subject that is no email could never be decided.
      const email = emailAddress.safeParse(payload.sub);
      if (!email.success || email.data !== payload.sub) throw unauthorized('TOKEN_INVALID', 'the token does not name a normalised email address');
      return email.data;
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (e instanceof errors.JWTExpired) throw unauthorized('TOKEN_EXPIRED', 'the token has expired; verify your email again');
      throw unauthorized('TOKEN_INVALID', 'the token is not valid');
    }
  }
}
