import { createHmac, randomInt } from 'node:crypto';
import { AppError, tooMany, unauthorized, unavailable } from '../errors.ts';
import type { Scripts } from '../redis/scripts.ts';
import type { Mailer } from '../email/mailer.ts';
import { codeMail } from '../email/templates.ts';
import type { Logger } from '../log.ts';
import { maskEmail } from '../log.ts';
import type { Limits } from '../limits.ts';

export interface CodeSettings { ttlSeconds: number; maxAttempts: number; resendSeconds: number; secret: string }

/** Six-digit codes that prove an address: secure random, stored only as a keyed hash, single use. */
export class VerificationCodes {
  constructor(
    private readonly scripts: Scripts,
    private readonly mailer: Mailer,
    private readonly settings: CodeSettings,
    private readonly limits: Limits,
    private readonly log: Logger,
  ) {}

  private hash(email: string, code: string): string {
    return createHmac('sha256', this.settings.secret).update(`${email}\n${code}`).digest('base64url');
  }

  /** The answer never says whether the address has applied or won: every address is treated alike. */
  async send(email: string, ip: string): Promise<void> {
    await this.limits.codeSend(email, ip);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const { ttlSeconds, resendSeconds } = this.settings;
    const wait = await this.scripts.storeCode(email, this.hash(email, code), ttlSeconds, resendSeconds);
    if (wait > 0) throw tooMany('CODE_RECENTLY_SENT', `a code was sent to this address moments ago; ask again in ${wait} s`, wait);
    try {
      await this.mailer.send(codeMail(email, code, Math.round(ttlSeconds / 60)));
    } catch (e) {
      this.log.error({ err: e, email: maskEmail(email) }, 'verification email failed');
      throw unavailable('EMAIL_UNAVAILABLE', 'the verification email could not be sent; try again shortly', 5);
    }
  }

  /**
   * Hashes are compared in Redis: the stored value is a keyed HMAC, so the time a comparison takes says
   * nothing about the code itself.
   */
  async verify(email: string, code: string, ip: string): Promise<void> {
    await this.limits.codeCheckAllowed(ip);
    const check = await this.scripts.verifyCode(email, this.hash(email, code), this.settings.maxAttempts);
    if (check.kind !== 'ok') await this.limits.codeCheckFailed(ip);
    switch (check.kind) {
      case 'ok':
        return;
      case 'wrong':
        throw new AppError(401, 'CODE_INVALID', `the code is wrong; ${check.attemptsLeft} attempt(s) left`, { attemptsLeft: check.attemptsLeft });
      case 'void':
        throw new AppError(429, 'CODE_ATTEMPTS_EXCEEDED', 'too many wrong codes; this code no longer works, ask for a new one');
      case 'missing':
        throw unauthorized('CODE_EXPIRED', 'no valid code for this address: it expired, was used, or was never sent');
    }
  }
}
