import { createHash } from 'node:crypto';
import { TooManyRequestsError } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { withSessionStore } from './session-store.errors.js';

export interface LoginLimits {
  maxFailuresPerUsername: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
}

/**
 * Brute-force protection for login: failed attempts are counted in Redis per login name and per
 * client address (so it holds across replicas); once either count reaches its limit, attempts are
 * refused with 429 before any password work happens. A successful login clears the name's count.
 * Unknown names are counted exactly like known ones, so the limiter does not reveal which exist.
 */
export interface LoginLimiter {
  /** Throws 429 with `Retry-After` while the name or the address is locked out. */
  assertAllowed(login: string, ip: string): Promise<void>;
  recordFailure(login: string, ip: string): Promise<void>;
  recordSuccess(login: string): Promise<void>;
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

  const lockedFor = (res: RateLimiterRes | null, max: number) =>
    res !== null && res.consumedPoints >= max ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0;

  // consume() rejects with a RateLimiterRes once over the limit; the count is stored either way.
  const consume = (limiter: RateLimiterRedis, key: string) =>
    limiter.consume(key).catch((err: unknown) => {
      if (err instanceof Error) throw err;
    });

  return {
    async assertAllowed(login, ip) {
      const [userRes, ipRes] = await withSessionStore(() =>
        Promise.all([byLogin.get(loginKey(login)), byIp.get(ip)]),
      );
      const retryAfter = Math.max(
        lockedFor(userRes, limits.maxFailuresPerUsername),
        lockedFor(ipRes, limits.maxFailuresPerIp),
      );
      if (retryAfter > 0) {
        throw new TooManyRequestsError({
          code: 'AUTH.TOO_MANY_LOGIN_ATTEMPTS',
          title: 'Too many login attempts',
          detail: `Too many failed login attempts; try again in ${retryAfter} seconds`,
          headers: { 'Retry-After': String(retryAfter) },
        });
      }
    },
    async recordFailure(login, ip) {
      await withSessionStore(() => Promise.all([consume(byLogin, loginKey(login)), consume(byIp, ip)]));
    },
    async recordSuccess(login) {
      await withSessionStore(() => byLogin.delete(loginKey(login)));
    },
  };
}
