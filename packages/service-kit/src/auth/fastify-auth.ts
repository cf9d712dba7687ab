import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ForbiddenError } from '../errors/domain-errors.js';
import { bearerToken, roleGate } from './bearer.js';
import type { AuthUser, JwtVerifier } from './jwt-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `fastifyAuth` once the access token is verified. */
    user?: AuthUser;
  }
}

export interface AuthOptions {
  /** Required role(s); a valid token with another role answers 403. */
  role?: string | string[];
}

/** A fastify preHandler that verifies the bearer token, sets `request.user`, and enforces `role`. */
export function fastifyAuth(verifier: JwtVerifier, options: AuthOptions = {}): preHandlerAsyncHookHandler {
  const allowed = roleGate(options.role);
  return async function authenticate(request: FastifyRequest) {
    const verified = await verifier.verify(bearerToken(request.headers.authorization));
    request.user = { id: verified.id, role: verified.role };
    if (!allowed(verified.role)) {
      throw new ForbiddenError({ code: 'AUTH.FORBIDDEN', detail: 'Your role does not allow this operation' });
    }
  };
}
