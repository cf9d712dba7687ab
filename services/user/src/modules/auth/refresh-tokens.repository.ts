import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { withSessionStore } from './auth.errors.js';

/**
 * Refresh tokens live only in Redis, hashed (SHA-256: they are 256-bit random, so a slow hash buys
 * nothing). Each login starts a family; every refresh rotates the token inside the family, and the
 * family remembers which token is current. Presenting a token that is no longer current means it
 * was copied: the whole family is revoked.
 *
 *   refresh:token:<sha256>   hash { family, user }          TTL = refresh TTL (kept after rotation
 *                                                            so reuse is recognised)
 *   refresh:family:<id>      hash { user, current }         TTL = refresh TTL, slid on rotation
 */
const tokenKey = (hash: string) => `refresh:token:${hash}`;
const familyKey = (family: string) => `refresh:family:${family}`;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

// Atomic compare-and-rotate: two concurrent refreshes with the same token cannot both succeed.
const ROTATE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'current')
if not current then return 'revoked' end
if current ~= ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 'reused'
end
redis.call('HSET', KEYS[1], 'current', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], 'family', ARGV[4], 'user', ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 'ok'
`;

export type RotateResult =
  | { status: 'ok'; userId: string; token: string }
  | { status: 'invalid' }
  | { status: 'reused'; userId: string; familyId: string };

export interface RefreshTokenRepository {
  readonly ttlSeconds: number;
  /** Starts a new family for a fresh login and returns its first token. */
  issue(userId: string): Promise<string>;
  /** Rotates `token`; a stale token revokes its family. */
  rotate(token: string): Promise<RotateResult>;
  /** Revokes the family `token` belongs to (logout). Unknown tokens are ignored. */
  revoke(token: string): Promise<void>;
}

export function createRefreshTokenRepository(redis: Redis, ttlSeconds: number): RefreshTokenRepository {
  const ttlMs = String(ttlSeconds * 1000);
  const repository: RefreshTokenRepository = {
    ttlSeconds,
    async issue(userId) {
      const token = newToken();
      const hash = hashToken(token);
      const family = randomUUID();
      await redis
        .multi()
        .hset(familyKey(family), 'user', userId, 'current', hash)
        .pexpire(familyKey(family), ttlMs)
        .hset(tokenKey(hash), 'family', family, 'user', userId)
        .pexpire(tokenKey(hash), ttlMs)
        .exec();
      return token;
    },
    async rotate(token) {
      const hash = hashToken(token);
      const record = await redis.hgetall(tokenKey(hash));
      const family = record.family;
      const userId = record.user;
      if (!family || !userId) return { status: 'invalid' };
      const next = newToken();
      const nextHash = hashToken(next);
      const outcome = await redis.eval(
        ROTATE_SCRIPT,
        2,
        familyKey(family),
        tokenKey(nextHash),
        hash,
        nextHash,
        ttlMs,
        family,
        userId,
      );
      if (outcome === 'ok') return { status: 'ok', userId, token: next };
      if (outcome === 'reused') return { status: 'reused', userId, familyId: family };
      return { status: 'invalid' };
    },
    async revoke(token) {
      const family = await redis.hget(tokenKey(hashToken(token)), 'family');
      if (family) await redis.del(familyKey(family));
    },
  };
  return {
    ttlSeconds,
    issue: (userId) => withSessionStore(() => repository.issue(userId)),
    rotate: (token) => withSessionStore(() => repository.rotate(token)),
    revoke: (token) => withSessionStore(() => repository.revoke(token)),
  };
}
