import type { BackgroundWorker, ServiceKit } from '@shop/service-kit';
import type { JwtVerifier } from '@shop/service-kit/auth';
import { buildGrpcServer } from './grpc/grpc-server.js';
import type { UsersRepository } from './modules/users/users.repository.js';

export interface UserWorkersDeps {
  kit: ServiceKit;
  verifier: JwtVerifier;
  users: Pick<UsersRepository, 'findById'>;
  /** GRPC_PORT (0: no gRPC listener) and the host it binds. */
  grpc: { port: number; host: string };
}

/**
 * The user service's work beside HTTP: its gRPC listener (UserService.VerifyToken, grpc.health.v1).
 * Started before HTTP listens, so its health service answers NOT_SERVING until the kit has started,
 * like /readyz; stopped gracefully (watches ended, in-flight calls finished) before the pool closes.
 */
export function createWorkers(deps: UserWorkersDeps): BackgroundWorker[] {
  if (deps.grpc.port <= 0) return [];
  const grpc = buildGrpcServer({ kit: deps.kit, verifier: deps.verifier, users: deps.users });
  return [
    {
      name: 'grpc server',
      start: async () => {
        await grpc.listen(deps.grpc.port, deps.grpc.host);
      },
      stop: () => grpc.close(),
    },
  ];
}
