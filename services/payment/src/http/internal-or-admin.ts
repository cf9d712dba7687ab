import { timingSafeEqual } from 'node:crypto';
import { fastifyAuth, type JwtVerifier } from '@shop/service-kit/auth';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';

const safeEqual = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Lets in the order service (`X-Internal-Token` = INTERNAL_API_TOKEN) or an admin bearer token;
 * anyone else gets 401/403 problem+json from the kit's verifier.
 */
export function internalOrAdmin(verifier: JwtVerifier, internalToken: string): preHandlerAsyncHookHandler {
  const admin = fastifyAuth(verifier, { role: 'admin' });
  return async function authorize(this: unknown, request: FastifyRequest, reply: FastifyReply) {
    const given = request.headers['x-internal-token'];
    if (typeof given === 'string' && safeEqual(given, internalToken)) {
      request.user = { id: 'internal', role: 'service' };
      return;
    }
    return admin.call(this as never, request, reply);
  };
}
