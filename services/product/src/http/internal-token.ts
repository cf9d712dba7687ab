import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '@shop/service-kit';
import type { FastifyRequest } from 'fastify';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * onRequest hook for `/internal/v1/*`: the caller must send `X-Internal-Token` equal to
 * INTERNAL_API_TOKEN (compared in constant time). Without a configured token every call is refused.
 */
export function internalTokenGuard(token: string | undefined) {
  const expected = token ? digest(token) : undefined;
  return async function checkInternalToken(request: FastifyRequest): Promise<void> {
    const presented = request.headers['x-internal-token'];
    if (expected && typeof presented === 'string' && timingSafeEqual(digest(presented), expected)) return;
    throw new UnauthorizedError({
      code: 'AUTH.INVALID_INTERNAL_TOKEN',
      title: 'Internal API',
      detail: expected
        ? 'This route is for Shop services: send a valid X-Internal-Token'
        : 'The internal API is disabled because INTERNAL_API_TOKEN is not configured',
    });
  };
}
