import { fastifyAuth, hasInternalToken, type JwtVerifier } from '@shop/service-kit/auth';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';

/**
 * Lets in the order service (`X-Internal-Token` = INTERNAL_API_TOKEN) or an admin bearer token;
 * anyone else gets 401/403 problem+json from the kit's verifier.
 */
export function internalOrAdmin(verifier: JwtVerifier, internalToken: string): preHandlerAsyncHookHandler {
  const admin = fastifyAuth(verifier, { role: 'admin' });
  return async function authorize(this: unknown, request: FastifyRequest, reply: FastifyReply) {
    if (hasInternalToken(request.headers, internalToken)) {
      request.user = { id: 'internal', role: 'service' };
      return;
    }
    return admin.call(this as never, request, reply);
  };
}
