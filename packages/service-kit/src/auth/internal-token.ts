import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors/domain-errors.js';

/** The header Shop services authenticate each other with; its value is `INTERNAL_API_TOKEN`. */
export const INTERNAL_TOKEN_HEADER = 'x-internal-token';

// Hashing first gives equal-length inputs, so the comparison leaks neither content nor length.
const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * true when `headers` carry `X-Internal-Token` equal to `expected` (compared in constant time).
 * Always false when no token is configured, so a missing INTERNAL_API_TOKEN never opens the door.
 */
export function hasInternalToken(
  headers: Record<string, string | string[] | undefined>,
  expected: string | undefined,
): boolean {
  const presented = headers[INTERNAL_TOKEN_HEADER];
  if (!expected || typeof presented !== 'string') return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * fastify `onRequest` hook for `/internal/v1/*` routes: 401 problem (`AUTH.INVALID_INTERNAL_TOKEN`)
 * unless the caller sends the configured `X-Internal-Token`; refuses everything when none is configured.
 */
export function internalTokenGuard(token: string | undefined) {
  return async function checkInternalToken(request: FastifyRequest): Promise<void> {
    if (hasInternalToken(request.headers, token)) return;
    throw new UnauthorizedError({
      code: 'AUTH.INVALID_INTERNAL_TOKEN',
      title: 'Internal API',
      detail: token
        ? 'This route is for Shop services: send a valid X-Internal-Token'
        : 'The internal API is disabled because INTERNAL_API_TOKEN is not configured',
    });
  };
}
