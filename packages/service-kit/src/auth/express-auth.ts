import type { RequestHandler } from 'express';
import { ForbiddenError } from '../errors/domain-errors.js';
import { bearerToken, roleGate } from './bearer.js';
import type { AuthOptions } from './fastify-auth.js';
import type { AuthUser, JwtVerifier } from './jwt-verifier.js';

declare global {
  namespace Express {
    interface Request {
      /** Set by `expressAuth` once the access token is verified. */
      user?: AuthUser;
    }
  }
}

/** Express middleware twin of `fastifyAuth`: errors go to `next(err)` and leave as problem+json. */
export function expressAuth(verifier: JwtVerifier, options: AuthOptions = {}): RequestHandler {
  const allowed = roleGate(options.role);
  return (req, _res, next) => {
    let token: string;
    try {
      token = bearerToken(req.headers.authorization);
    } catch (err) {
      next(err);
      return;
    }
    verifier.verify(token).then(
      (verified) => {
        req.user = { id: verified.id, role: verified.role };
        if (!allowed(verified.role)) {
          next(
            new ForbiddenError({ code: 'AUTH.FORBIDDEN', detail: 'Your role does not allow this operation' }),
          );
          return;
        }
        next();
      },
      (err: unknown) => next(err),
    );
  };
}
