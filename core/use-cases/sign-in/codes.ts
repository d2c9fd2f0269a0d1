import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { AppError, tooMany, unavailable } from '../../platform/errors.ts';
import type { ChallengePath, Scripts } from '../../adapters/redis/scripts.ts';
import type { Mailer } from '../../adapters/ses/mailer.ts';
import { codeMail } from '../../adapters/ses/templates.ts';
import type { Logger } from '../../platform/log.ts';
import { maskEmail } from '../../platform/log.ts';
import type { Limits } from '../../adapters/redis/limits.ts';
import type { Limits as LimitSettings } from '../../platform/config.ts';
import { personOf } from '../participant/identity.ts';
import { networkOf } from './network.ts';
import { ErrorCode } from '../../domain/errors.ts';

export interface CodeSettings {
  ttlSeconds: number;
  maxAttempts: number;
  maxAttemptsWithoutChallenge: number;
  resendSeconds: number;
  secret: string;
}

/**
 * What a send answers: the id the sign-in's verify names its code by, and the reference its email and
 * the page both show, so that the owner, whose inbox may also hold codes strangers asked for, types the
 * code of the sign-in on the screen. The reference is a hash of the id and gives none of it away.
 */
export interface Challenge {
  challengeId: string;
  reference: string;
}

/** Letters no one mistakes for another (no I, O) and no digits, so a reference is never read as a code. */
const REFERENCE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';

export function referenceOf(challengeId: string): string {
  const digest = createHash('sha256').update(challengeId).digest();
  return Array.from(digest.subarray(0, 4), (b) => REFERENCE_LETTERS[b % REFERENCE_LETTERS.length]).join('');
}

/**
 * One answer for every code that does not sign in (wrong, expired, used, never sent, out of tries): a
 * stranger must not learn from it that someone is signing in. Whoever holds the challenge id opened the
 * sign-in, so it is told the tries it has left.
 */
const notSignedIn = (attemptsLeft?: number) =>
  new AppError(
    401,
    ErrorCode.CODE_INVALID,
    attemptsLeft === undefined || attemptsLeft > 0
      ? 'this code does not sign you in: check it, or ask for a new one'
      : 'this code does not sign you in, and this sign-in has no tries left: ask for a new code',
    attemptsLeft === undefined ? undefined : { attemptsLeft },
  );

/**
 * Sign-in by a six-digit code mailed to the address, bound to the sign-in that asked for it (as
 * passwordless systems bind a one-time code to its login transaction): each send opens a challenge with
 * a code of its own and answers its id, and a verify naming that id is checked against that code alone,
 * with its own tries. Strangers can ask for codes to someone's address and guess against their own
 * challenges, never against the owner's, whose id they don't have: the owner with the right code gets
 * in whatever they do. A verify without an id (the original's clients) is checked against the person's
 * latest code, with a budget of its own, and counted per network (docs/security.md has the reasoning
 * and the odds). Everything is the person's (participant/identity.ts): every alias of a mailbox shares
 * its challenges and limits; the mail goes to the address typed. Redis holds only a keyed HMAC of a code.
 */
export class VerificationCodes {
  constructor(
    private readonly scripts: Scripts,
    private readonly mailer: Mailer,
    private readonly settings: CodeSettings,
    private readonly limits: Limits,
    private readonly limitSettings: Pick<
      LimitSettings,
      'codeSendsPerAddressPerHour' | 'codeSendsPerIpPerHour' | 'codeSendsPerMinute' | 'networkPrefixes'
    >,
    private readonly log: Logger,
  ) {}

  private hash(person: string, challengeId: string, code: string): string {
    return createHmac('sha256', this.settings.secret).update(`${person}\n${challengeId}\n${code}`).digest('base64url');
  }

  /** The answer never says whether the address has applied or won: every address is treated alike. */
  async send(email: string, ip: string): Promise<Challenge> {
    const person = personOf(email);
    const network = networkOf(ip, this.limitSettings.networkPrefixes);
    const challengeId = randomBytes(16).toString('base64url');
    const code = String(randomInt(1_000_000)).padStart(6, '0');
    const { ttlSeconds, resendSeconds } = this.settings;
    const opened = await this.scripts.openChallenge(
      person,
      network,
      { id: challengeId, hash: this.hash(person, challengeId, code), ttlSeconds },
      {
        cooldownSeconds: resendSeconds,
        perPersonPerNetworkPerHour: this.limitSettings.codeSendsPerAddressPerHour,
        perNetworkPerHour: this.limitSettings.codeSendsPerIpPerHour,
        allPerMinute: this.limitSettings.codeSendsPerMinute,
      },
    );
    switch (opened.kind) {
      case 'opened':
        break;
      case 'cooldown':
        throw tooMany(
          ErrorCode.CODE_RECENTLY_SENT,
          `a code was sent to this address from your network moments ago; ask again in ${opened.seconds} s`,
          opened.seconds,
        );
      case 'person-spent':
        throw tooMany(
          ErrorCode.TOO_MANY_CODES,
          'too many codes were asked for this address from your network; try again later',
          opened.seconds,
        );
      case 'network-spent':
        throw tooMany(ErrorCode.TOO_MANY_CODES, 'too many codes were asked for from your network; try again later', opened.seconds);
      case 'all-spent':
        // Not the client's doing: every code sent counts against the sender's reputation (bounces), so
        // the sends in all are capped, and past that everyone waits a moment.
        throw unavailable(
          ErrorCode.CODE_SENDS_BUSY,
          `too many codes are being sent right now; ask again in ${opened.seconds} s`,
          opened.seconds,
        );
    }
    const reference = referenceOf(challengeId);
    try {
      await this.mailer.send(codeMail(email, code, Math.round(ttlSeconds / 60), reference));
    } catch (e) {
      this.log.error({ err: e, email: maskEmail(email) }, 'verification email failed');
      throw unavailable(ErrorCode.EMAIL_UNAVAILABLE, 'the verification email could not be sent; try again shortly', 5);
    }
    return { challengeId, reference };
  }

  /**
   * Hashes are compared in Redis: the stored value is a keyed HMAC, so the time a comparison takes says
   * nothing about the code itself. A try is counted before it is compared, in the same script.
   */
  async verify(email: string, code: string, ip: string, challengeId?: string): Promise<void> {
    const person = personOf(email);
    if (challengeId !== undefined) {
      const check = await this.scripts.checkChallenge(
        person,
        { by: 'id', id: challengeId },
        this.hash(person, challengeId, code),
        this.settings.maxAttempts,
      );
      if (check.kind === 'ok') return;
      throw notSignedIn(check.kind === 'wrong' ? check.attemptsLeft : 0);
    }
    const network = networkOf(ip, this.limitSettings.networkPrefixes);
    await this.limits.codeCheck(network);
    const latest = await this.scripts.latestChallenge(person);
    const path: ChallengePath | null = latest ? { by: 'latest', id: latest } : null;
    const check = path
      ? await this.scripts.checkChallenge(person, path, this.hash(person, path.id, code), this.settings.maxAttemptsWithoutChallenge)
      : null;
    if (check?.kind !== 'ok') throw notSignedIn();
    await this.limits.codeCheckPassed(network);
  }
}
