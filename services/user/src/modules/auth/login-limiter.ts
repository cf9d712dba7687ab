import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyLoginAttempts, withSessionStore } from './auth.errors.js';

export interface LoginLimits {
  maxFailuresPerUsername: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
}

/**
 * Brute-force protection for login, per login name and per client address, in Redis (so it holds
 * across replicas). Every attempt is counted *before* the password is verified, with one atomic
 * increment-and-compare per counter (rate-limiter-flexible's `consume`): a burst of parallel
 * attempts cannot all pass a check that has not seen the others yet, so at most the limit of them
 * ever reaches argon2 in a window; the rest are refused with 429 before any password work. A
 * successful login clears the name's count and gives the address its attempt back, so the counts
 * are failures (plus attempts in flight). Unknown names are counted exactly like known ones, so
 * the limiter does not reveal which exist.
 */
export interface LoginLimiter {
  /**
   * Counts one attempt for the name and the address; throws 429 with `Retry-After` (and counts
   * nothing) when either is already at its limit.
   */
  beginAttempt(login: string, ip: string): Promise<void>;
  /** The attempt succeeded: the name starts from zero, the address gets its attempt back. */
  recordSuccess(login: string, ip: string): Promise<void>;
  /**
   * The attempt ended without a verdict on the password (a dependency failed: 503): the name and the
   * address get their attempt back, so an outage does not lock accounts out once it is over.
   */
  cancelAttempt(login: string, ip: string): Promise<void>;
}

// Login names are user input of up to 254 characters; hashing keeps keys short and uniform.
const loginKey = (login: string) =>
  createHash('sha256').update(login.trim().toLowerCase()).digest('hex').slice(0, 32);

export function createLoginLimiter(redis: Redis, limits: LoginLimits): LoginLimiter {
  const byLogin = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: 'login-fail:user',
    points: limits.maxFailuresPerUsername,
    duration: limits.windowSeconds,
  });
  const byIp = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: 'login-fail:ip',
    points: limits.maxFailuresPerIp,
    duration: limits.windowSeconds,
  });

  /** Consumes one point: 0 when within the limit, else the ms until the window ends. */
  const take = (limiter: RateLimiterRedis, key: string) =>
    limiter.consume(key).then(
      () => 0,
      (res: unknown) => {
        if (res instanceof RateLimiterRes) return Math.max(1, res.msBeforeNext);
        throw res;
      },
    );

  return {
    async beginAttempt(login, ip) {
      const user = loginKey(login);
      const [userWait, ipWait] = await withSessionStore(() =>
        Promise.all([take(byLogin, user), take(byIp, ip)]),
      );
      if (userWait === 0 && ipWait === 0) return;
      // Refused before any password work: the counter that still had room gets its point back.
      await withSessionStore(() =>
        Promise.all([userWait === 0 && byLogin.reward(user, 1), ipWait === 0 && byIp.reward(ip, 1)]),
      );
      const retryAfter = Math.ceil(Math.max(userWait, ipWait) / 1000);
      throw tooManyLoginAttempts(retryAfter);
    },
    async recordSuccess(login, ip) {
      await withSessionStore(() => Promise.all([byLogin.delete(loginKey(login)), byIp.reward(ip, 1)]));
    },
    async cancelAttempt(login, ip) {
      await withSessionStore(() => Promise.all([byLogin.reward(loginKey(login), 1), byIp.reward(ip, 1)]));
    },
  };
}
