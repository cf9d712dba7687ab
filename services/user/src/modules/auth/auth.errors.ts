// The auth module's error codes (AUTH.*) and the DomainErrors that carry them.
import {
  DomainError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from '@shop/service-kit';

export const AuthErrorCodes = {
  invalidCredentials: 'AUTH.INVALID_CREDENTIALS',
  invalidRefreshToken: 'AUTH.INVALID_REFRESH_TOKEN',
  refreshTokenReused: 'AUTH.REFRESH_TOKEN_REUSED',
  invalidToken: 'AUTH.INVALID_TOKEN',
  tooManyLoginAttempts: 'AUTH.TOO_MANY_LOGIN_ATTEMPTS',
  sessionStoreUnavailable: 'AUTH.SESSION_STORE_UNAVAILABLE',
} as const;

// One message for unknown user and wrong password: the answer must not reveal which it was.
export const invalidCredentials = () =>
  new UnauthorizedError({
    code: AuthErrorCodes.invalidCredentials,
    title: 'Invalid credentials',
    detail: 'The username/email or password is incorrect',
  });

export const invalidRefresh = () =>
  new UnauthorizedError({
    code: AuthErrorCodes.invalidRefreshToken,
    title: 'Invalid refresh token',
    detail: 'The refresh token is invalid, expired or revoked; log in again',
  });

export const refreshTokenReused = () =>
  new UnauthorizedError({
    code: AuthErrorCodes.refreshTokenReused,
    title: 'Refresh token reused',
    detail: 'This refresh token was already used; every session of this login was revoked',
  });

/** A valid signature whose account was deleted since (gRPC VerifyToken looks the account up). */
export const accountGone = () =>
  new UnauthorizedError({
    code: AuthErrorCodes.invalidToken,
    title: 'Invalid access token',
    detail: 'The account of this access token no longer exists',
  });

export const loginMissing = () =>
  new ValidationError({
    detail: 'Send "username" (or "email") and "password"',
    errors: [{ pointer: '/body/username', detail: 'username or email is required' }],
  });

export const refreshTokenMissing = () =>
  new ValidationError({
    detail: 'Send "refresh_token" (or use the cookie transport)',
    errors: [{ pointer: '/body/refresh_token', detail: 'refresh_token is required' }],
  });

export const tooManyLoginAttempts = (retryAfterSeconds: number) =>
  new TooManyRequestsError({
    code: AuthErrorCodes.tooManyLoginAttempts,
    title: 'Too many login attempts',
    detail: `Too many failed login attempts; try again in ${retryAfterSeconds} seconds`,
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });

/**
 * Runs a Redis-backed step (refresh tokens, login counters). Sessions cannot work without Redis, so
 * an outage answers 503 with Retry-After — a retryable condition — instead of a bare 500.
 */
export async function withSessionStore<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new ServiceUnavailableError({
      code: AuthErrorCodes.sessionStoreUnavailable,
      detail: 'Sessions are temporarily unavailable; retry shortly',
      headers: { 'Retry-After': '5' },
      cause: err,
    });
  }
}
