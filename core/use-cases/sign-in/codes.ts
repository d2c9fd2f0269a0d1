import { createHmac, randomBytes } from 'node:crypto';
import { AppError, tooMany, unauthorized, unavailable } from '../../platform/errors.ts';
import type { Scripts } from '../../adapters/redis/scripts.ts';
import type { Mailer } from '../../adapters/ses/mailer.ts';
import { codeMail } from '../../adapters/ses/templates.ts';
import type { Logger } from '../../platform/log.ts';
import { maskEmail } from '../../platform/log.ts';
import type { Limits } from '../../adapters/redis/limits.ts';
import { personOf } from '../participant/identity.ts';

export interface CodeSettings { ttlSeconds: number; maxAttempts: number; maxAttemptsTotal: number; resendSeconds: number; secret: string }

/**
 * Six-digit codes that prove an address: single use, derived with the key from a random seed, so that
 * Redis holds only the seed and a keyed hash, neither of which gives the code away without the key.
 * While a code is pending every send mails that same code: whoever asks, the owner's inbox always holds
 * a code that works. Wrong tries count per requester (client address) and in total: a stranger's
 * guesses spend the stranger's tries, not the owner's (README, Security, has the odds). Codes, their
 * cooldown and their tries are the person's (participant/identity.ts), so every alias of one mailbox
 * shares them; the mail goes to the address typed.
 */
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

  /** 48 bits of an HMAC taken modulo a million: the bias is below one in a hundred million. */
  private codeOf(email: string, seed: string): string {
    const n = createHmac('sha256', this.settings.secret).update(`code\n${email}\n${seed}`).digest().readUIntBE(0, 6) % 1_000_000;
    return String(n).padStart(6, '0');
  }

  /** The answer never says whether the address has applied or won: every address is treated alike. */
  async send(email: string, ip: string): Promise<void> {
    const person = personOf(email);
    await this.limits.codeSend(person, ip);
    const seed = randomBytes(16).toString('base64url');
    const { ttlSeconds, resendSeconds } = this.settings;
    const sent = await this.scripts.storeCode(person, { seed, hash: this.hash(person, this.codeOf(person, seed)) }, ip, ttlSeconds, resendSeconds);
    if (sent.kind === 'wait') {
      throw tooMany('CODE_RECENTLY_SENT', `a code was sent to this address moments ago; ask again in ${sent.seconds} s`, sent.seconds);
    }
    const code = this.codeOf(person, sent.seed);
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
    const person = personOf(email);
    await this.limits.codeCheck(ip);
    const { maxAttempts, maxAttemptsTotal } = this.settings;
    const check = await this.scripts.verifyCode(person, this.hash(person, code), ip, { perRequester: maxAttempts, total: maxAttemptsTotal });
    switch (check.kind) {
      case 'ok':
        await this.limits.codeCheckPassed(ip);
        return;
      case 'wrong':
        throw new AppError(401, 'CODE_INVALID', `the code is wrong; ${check.attemptsLeft} attempt(s) left`, { attemptsLeft: check.attemptsLeft });
      case 'spent':
        throw new AppError(429, 'CODE_ATTEMPTS_EXCEEDED', 'too many wrong codes from this network; ask for the code again to try again');
      case 'void':
        throw new AppError(429, 'CODE_ATTEMPTS_EXCEEDED', 'too many wrong codes; this code no longer works, ask for a new one');
      case 'missing':
        throw unauthorized('CODE_EXPIRED', 'no valid code for this address: it expired, was used, or was never sent');
    }
  }
}
