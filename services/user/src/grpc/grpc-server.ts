// The user service's second listener: gRPC on GRPC_PORT (9090) with shop.user.v1.UserService and
// grpc.health.v1.Health; `workers.ts` runs it as a BackgroundWorker of the kit (bound before HTTP listens, closed on shutdown).
// @grpc/grpc-js + @grpc/proto-loader: the reference pure-JS implementation (no native build, no codegen
// step: the .proto files in @shop/contracts are loaded at start) and the one OpenTelemetry instruments.
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { HEALTH_PROTO, PROTO_ROOT, USER_SERVICE_NAME, USER_SERVICE_PROTO } from '@shop/contracts';
import type { ServiceKit } from '@shop/service-kit';
import type { JwtVerifier } from '@shop/service-kit/auth';
import { userGrpcHandlers } from '../modules/auth/auth.grpc.js';
import type { UsersRepository } from '../modules/users/users.repository.js';
import { createGrpcServerMetrics } from './grpc-metrics.js';
import { createHealthService, type HealthService } from './health.service.js';

/** proto-loader options shared by server and clients: snake_case fields as in the .proto, enums as names. */
export const PROTO_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

export interface UserGrpcDeps {
  kit: ServiceKit;
  /** The verifier of the HTTP routes: the service's own JWKS. */
  verifier: JwtVerifier;
  users: Pick<UsersRepository, 'findById'>;
  /** How often health Watch streams re-evaluate readiness (default 5 s). */
  healthWatchIntervalMs?: number;
  /** Longest wait for in-flight calls during shutdown before they are cancelled (default 5 s). */
  shutdownTimeoutMs?: number;
}

export interface UserGrpcServer {
  server: Server;
  /** Binds `host:port` (0 = any free port) and resolves the bound port; `close` belongs in the shutdown. */
  listen(port: number, host?: string): Promise<number>;
  /** Ends health watches, refuses new calls, lets in-flight calls finish (bounded), then closes. */
  close(): Promise<void>;
}

/** Builds the gRPC server (no bind): UserService.VerifyToken and the standard health service. */
export function buildGrpcServer(deps: UserGrpcDeps): UserGrpcServer {
  const definitions = loadSync([USER_SERVICE_PROTO, HEALTH_PROTO], {
    ...PROTO_OPTIONS,
    includeDirs: [PROTO_ROOT],
  });
  const metrics = createGrpcServerMetrics(deps.kit.metrics);
  const handlers = userGrpcHandlers({ verifier: deps.verifier, users: deps.users, logger: deps.kit.logger });
  const health = createHealthService({
    kit: deps.kit,
    services: [USER_SERVICE_NAME],
    ...(deps.healthWatchIntervalMs ? { watchIntervalMs: deps.healthWatchIntervalMs } : {}),
  });

  const server = new Server({
    // Idle connections from callers are pinged so a dead peer does not hold a slot forever.
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.max_receive_message_length': 64 * 1024,
  });
  server.addService(definitions[USER_SERVICE_NAME] as ServiceDefinition, {
    VerifyToken: metrics.unary(`${USER_SERVICE_NAME}/VerifyToken`, handlers.VerifyToken),
  });
  server.addService(definitions['grpc.health.v1.Health'] as ServiceDefinition, health.implementation);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= shutDownGracefully(server, health, deps);
    return closing;
  };

  return {
    server,
    close,
    listen(port, host = '0.0.0.0') {
      return new Promise<number>((resolve, reject) => {
        server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
          if (err) {
            reject(err);
            return;
          }
          deps.kit.logger.info({ port: bound, host }, 'gRPC listening');
          resolve(bound);
        });
      });
    },
  };
}

/** Ends health watches, then lets in-flight calls finish until the deadline, then cancels them. */
function shutDownGracefully(
  server: Server,
  health: Pick<HealthService, 'close'>,
  deps: Pick<UserGrpcDeps, 'kit' | 'shutdownTimeoutMs'>,
): Promise<void> {
  return new Promise<void>((resolve) => {
    health.close();
    const timeoutMs = deps.shutdownTimeoutMs ?? 5000;
    const force = setTimeout(() => {
      deps.kit.logger.warn(
        { timeoutMs },
        'gRPC calls still running at the shutdown deadline; cancelling them',
      );
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
