// shop.user.v1.UserService over gRPC: the internal twin of what every service does with the JWKS,
// plus what only the user service knows — whether the account still exists and its role now.
import { status as GrpcStatus, Metadata, type ServerErrorResponse } from '@grpc/grpc-js';
import { ERROR_CODE_TRAILER, type VerifyTokenResponse } from '@shop/contracts';
import { DomainError, dependencyFailureOf, type Logger } from '@shop/service-kit';
import type { JwtVerifier } from '@shop/service-kit/auth';
import type { UnaryHandler } from '../../grpc/grpc-metrics.js';
import type { UsersRepository } from '../users/users.repository.js';
import { accountGone } from './auth.errors.js';

interface VerifyTokenRequest {
  token: string;
}

/** A DomainError (or a dependency failure) as a gRPC status; anything else is INTERNAL without detail. */
export function toGrpcError(err: unknown, logger: Pick<Logger, 'error'>): Partial<ServerErrorResponse> {
  if (err instanceof DomainError && err.status === 401) {
    const trailer = new Metadata();
    trailer.set(ERROR_CODE_TRAILER, err.code);
    return { code: GrpcStatus.UNAUTHENTICATED, details: err.detail ?? err.title, metadata: trailer };
  }
  if (dependencyFailureOf(err) || (err instanceof DomainError && err.status === 503)) {
    return { code: GrpcStatus.UNAVAILABLE, details: 'a dependency of the user service is unavailable' };
  }
  logger.error({ err }, 'gRPC call failed');
  return { code: GrpcStatus.INTERNAL, details: 'internal error' };
}

export function userGrpcHandlers(deps: {
  verifier: JwtVerifier;
  users: Pick<UsersRepository, 'findById'>;
  logger: Pick<Logger, 'error'>;
}): { VerifyToken: UnaryHandler<VerifyTokenRequest, VerifyTokenResponse> } {
  return {
    VerifyToken(call, callback) {
      const token = call.request.token;
      if (!token) {
        callback({ code: GrpcStatus.INVALID_ARGUMENT, details: 'token is required' });
        return;
      }
      const verify = async (): Promise<VerifyTokenResponse> => {
        const verified = await deps.verifier.verify(token);
        const user = await deps.users.findById(verified.id);
        if (!user) {
          throw accountGone();
        }
        return {
          user_id: user.id,
          role: user.role,
          username: user.username,
          expires_at: Number(verified.claims.exp ?? 0),
        };
      };
      verify().then(
        (response) => callback(null, response),
        (err: unknown) => callback(toGrpcError(err, deps.logger)),
      );
    },
  };
}
