import type { FaultFlags } from '@shop/service-kit';
import type { Logger } from 'pino';
import type { UsersRepository } from '../users/users.repository.js';
import type { AccessTokenIssuer } from './access-tokens.js';
import { invalidCredentials, invalidRefresh, loginMissing, refreshTokenReused } from './auth.errors.js';
import type { LoginLimiter } from './login-limiter.js';
import type { PasswordHasher } from './password-hasher.js';
import type { RefreshTokenRepository } from './refresh-tokens.repository.js';

export interface TokenPair {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

export interface AuthService {
  login(input: { username?: string; email?: string; password: string }, clientIp: string): Promise<TokenPair>;
  refresh(refreshToken: string): Promise<TokenPair>;
  logout(refreshToken: string): Promise<void>;
}

export interface AuthServiceDeps {
  users: UsersRepository;
  passwords: PasswordHasher;
  accessTokens: AccessTokenIssuer;
  refreshTokens: RefreshTokenRepository;
  limiter: LoginLimiter;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** `userLoginSlow` delays every login (off without flags). */
  flags?: Pick<FaultFlags, 'delay'>;
}

export function createAuthService(deps: AuthServiceDeps): AuthService {
  const { users, passwords, accessTokens, refreshTokens, limiter, logger } = deps;

  const pair = async (user: { id: string; role: string; username: string }, refreshToken: string) => ({
    access_token: await accessTokens.issue(user),
    token_type: 'Bearer' as const,
    expires_in: accessTokens.ttlSeconds,
    refresh_token: refreshToken,
    refresh_expires_in: refreshTokens.ttlSeconds,
  });

  return {
    async login(input, clientIp) {
      await deps.flags?.delay('userLoginSlow');
      const login = input.username ?? input.email;
      if (login === undefined) {
        throw loginMissing();
      }
      // Counted before the password is checked: a burst cannot outrun the limit (429 past it).
      await limiter.beginAttempt(login, clientIp);
      let user: Awaited<ReturnType<typeof users.findByLogin>>;
      let ok: boolean;
      try {
        user = await users.findByLogin(login);
        // Unknown users still pay for one argon2 verification, so timing does not tell them apart.
        ok = user
          ? await passwords.verify(user.passwordHash, input.password)
          : await passwords.verifyAgainstDummy(input.password);
      } catch (err) {
        // No verdict on the password (the database is down: 503): the attempt is not a failure.
        await limiter.cancelAttempt(login, clientIp).catch((cancelErr: unknown) => {
          logger.warn({ err: cancelErr }, 'could not give back a login attempt that ended without a verdict');
        });
        throw err;
      }
      if (!user || !ok) throw invalidCredentials();
      await limiter.recordSuccess(login, clientIp);
      if (passwords.needsRehash(user.passwordHash)) {
        await users.updatePasswordHash(user.id, await passwords.hash(input.password));
      }
      return pair(user, await refreshTokens.issue(user.id));
    },

    async refresh(refreshToken) {
      const rotated = await refreshTokens.rotate(refreshToken);
      if (rotated.status === 'reused') {
        logger.warn(
          { userId: rotated.userId, family: rotated.familyId },
          'refresh token reuse detected; revoked the token family',
        );
        throw refreshTokenReused();
      }
      if (rotated.status !== 'ok') throw invalidRefresh();
      // The role is read fresh so a demoted or deleted account cannot keep minting tokens.
      const user = await users.findById(rotated.userId);
      if (!user) {
        await refreshTokens.revoke(rotated.token);
        throw invalidRefresh();
      }
      return pair(user, rotated.token);
    },

    async logout(refreshToken) {
      await refreshTokens.revoke(refreshToken);
    },
  };
}
