import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { tooMany } from '../../platform/errors.ts';
import { LocalWindow } from '../../platform/local-window.ts';
import type { Limits as Settings } from '../../platform/config.ts';
import { ErrorCode } from '../../domain/errors.ts';

/**
 * The abuse limits. Failed code checks (those without a challenge id: open-challenge.lua counts the
 * sends) and failed admin keys are counted in Redis per network, so every API process sees the same count. Applies and status checks are counted per person in each
 * API process: free on the hot path, and what they guard against (a hammered button, a tight polling
 * loop) is stopped just as well by N processes' worth of the limit. There is no per-IP limit on apply or
 * status: thousands of real participants share one carrier NAT.
 */
export class Limits {
  private readonly failedChecksPerNetwork: RateLimiterAbstract;
  private readonly adminFailuresPerNetwork: RateLimiterAbstract;
  private readonly applies: LocalWindow;
  private readonly statusChecks: LocalWindow;

  constructor(redis: Redis, prefix: string, s: Settings) {
    const shared = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:limit:${name}`, points, duration });
    this.failedChecksPerNetwork = shared('check-ip', s.failedCodeChecksPerIpPerHour, 3600);
    this.adminFailuresPerNetwork = shared('admin-network', s.adminFailuresPerIpPer15Minutes, 900);
    this.applies = new LocalWindow(s.appliesPerPersonPer10Seconds, 10_000);
    this.statusChecks = new LocalWindow(s.statusChecksPerPersonPerMinute, 60_000);
  }

  /**
   * Takes one of the network's failed checks before a check without a challenge id is made (an atomic
   * INCR: a burst sent at once can't all pass a read made before any of them counted); past the limit
   * the check is not made.
   */
  async codeCheck(network: string): Promise<void> {
    await take(
      this.failedChecksPerNetwork,
      network,
      ErrorCode.TOO_MANY_FAILED_CODES,
      'too many wrong codes from this network; try again later',
    );
  }

  /** A check that passed gives its point back: only failed checks count. */
  async codeCheckPassed(network: string): Promise<void> {
    await this.failedChecksPerNetwork.reward(network, 1);
  }

  /**
   * Takes one of the network's failed admin keys before a key is compared, as codeCheck does: a burst of
   * guesses sent at once has no more compared than the limit.
   */
  async adminCheck(network: string): Promise<void> {
    await take(this.adminFailuresPerNetwork, network, ADMIN_LOCKED.code, ADMIN_LOCKED.message);
  }

  /** The right key gives its point back: only wrong keys count. */
  async adminCheckPassed(network: string): Promise<void> {
    await this.adminFailuresPerNetwork.reward(network, 1);
  }

  /** Refuses a network locked out for wrong keys, taking nothing (for the right key where Redis may be down). */
  async adminAllowed(network: string): Promise<void> {
    await refuseIfSpent(this.adminFailuresPerNetwork, network, ADMIN_LOCKED.code, ADMIN_LOCKED.message);
  }

  /** Throws 429 when the person has pressed apply too often (synchronous: no I/O on the hot path). */
  apply(person: string): void {
    takeLocal(
      this.applies,
      person,
      ErrorCode.TOO_MANY_REQUESTS,
      'you are pressing apply too fast; your application is safe, wait a moment',
    );
  }

  status(person: string): void {
    takeLocal(this.statusChecks, person, ErrorCode.TOO_MANY_REQUESTS, 'too many status checks; wait a moment');
  }
}

const ADMIN_LOCKED = { code: 'TOO_MANY_ADMIN_FAILURES', message: 'too many wrong admin keys from this network; try again later' };

const retryAfter = (r: RateLimiterRes) => Math.max(1, Math.ceil(r.msBeforeNext / 1000));

function takeLocal(window: LocalWindow, key: string, code: string, message: string): void {
  const waitMs = window.take(key);
  if (waitMs > 0) throw tooMany(code, message, Math.max(1, Math.ceil(waitMs / 1000)));
}

async function take(limiter: RateLimiterAbstract, key: string, code: string, message: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (e) {
    if (e instanceof RateLimiterRes) throw tooMany(code, message, retryAfter(e));
    throw e;
  }
}

async function refuseIfSpent(limiter: RateLimiterAbstract, key: string, code: string, message: string): Promise<void> {
  const r = await limiter.get(key);
  if (r && r.consumedPoints >= limiter.points) throw tooMany(code, message, retryAfter(r));
}
