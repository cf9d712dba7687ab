// Access tokens checked by the user service over gRPC (USER_GRPC_URL) instead of locally against the
// JWKS: the user service also knows whether the account still exists and its role now. Same answers to
// the client as the local verifier: 401 problem+json with the same codes, 503 DEPENDENCY.UNAVAILABLE
// when the user service cannot answer (never 500).
import {
  Client,
  credentials,
  status as GrpcStatus,
  Metadata,
  type MethodDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  ERROR_CODE_TRAILER,
  PROTO_LOADER_OPTIONS,
  PROTO_ROOT,
  USER_SERVICE_NAME,
  USER_SERVICE_PROTO,
  type VerifyTokenResponse,
} from '@shop/contracts';
import {
  DependencyUnavailableError,
  HTTP_DURATION_BUCKETS,
  type Logger,
  type MetricsFactory,
  UnauthorizedError,
} from '@shop/service-kit';
import type { JwtVerifier, VerifiedToken } from '@shop/service-kit/auth';

export interface UserTokenClientOptions {
  /** `host:port` of the user service's gRPC listener (`user-service:9090`), or any grpc-js target. */
  target: string;
  /** Deadline of one attempt (USER_GRPC_TIMEOUT). */
  deadlineMs: number;
  /** Extra attempts after UNAVAILABLE / DEADLINE_EXCEEDED (SERVICE_RETRY); VerifyToken is read-only. */
  retries: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface UserTokenClient extends JwtVerifier {
  close(): void;
}

const METHOD = 'VerifyToken';
const FULL_METHOD = `${USER_SERVICE_NAME}/${METHOD}`;
// Transient: the call may not have reached a healthy server; repeating a read is harmless.
const RETRYABLE = new Set<number>([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED]);

const codeName = (code: number): string =>
  (GrpcStatus as unknown as Record<number, string>)[code] ?? String(code);

function clientMetrics(metrics: MetricsFactory, registry: { getSingleMetric(name: string): unknown }) {
  const name = 'grpc_client_request_duration_seconds';
  return (registry.getSingleMetric(name) ??
    metrics.histogram({
      name,
      help: 'Duration of outgoing gRPC calls to other services, per attempt, by status code',
      labelNames: ['upstream', 'method', 'code'] as const,
      buckets: HTTP_DURATION_BUCKETS,
    })) as ReturnType<MetricsFactory['histogram']>;
}

// The same problem the local verifier answers for the same token (AUTH.INVALID_TOKEN / AUTH.TOKEN_EXPIRED).
function unauthorized(err: ServiceError): UnauthorizedError {
  const code = String(err.metadata?.get(ERROR_CODE_TRAILER)[0] ?? 'AUTH.INVALID_TOKEN');
  const expired = code === 'AUTH.TOKEN_EXPIRED';
  const detail = err.details || (expired ? 'The access token has expired' : 'The access token is invalid');
  return new UnauthorizedError({
    code: expired ? code : 'AUTH.INVALID_TOKEN',
    title: expired ? 'Access token expired' : 'Invalid access token',
    detail,
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${detail}"` },
  });
}

/** A `JwtVerifier` that asks the user service (`UserService.VerifyToken`) with deadlines, retries and metrics. */
export function createUserTokenClient(
  kit: { metrics: MetricsFactory; registry: { getSingleMetric(name: string): unknown }; logger: Logger },
  options: UserTokenClientOptions,
): UserTokenClient {
  const { client, method } = openChannel(options.target);
  const duration = clientMetrics(kit.metrics, kit.registry);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const baseDelay = options.retryBaseDelayMs ?? 50;
  const maxDelay = options.retryMaxDelayMs ?? 1000;

  const attempt = (token: string) => callVerifyToken(client, method, duration, token, options.deadlineMs);

  return {
    async verify(token): Promise<VerifiedToken> {
      for (let n = 1; ; n++) {
        try {
          const answer = await attempt(token);
          return {
            id: answer.user_id,
            role: answer.role,
            claims: { sub: answer.user_id, role: answer.role, exp: answer.expires_at },
          };
        } catch (caught) {
          const err = caught as ServiceError;
          if (err.code === GrpcStatus.UNAUTHENTICATED || err.code === GrpcStatus.INVALID_ARGUMENT) {
            throw unauthorized(err);
          }
          if (RETRYABLE.has(err.code) && n <= options.retries) {
            // Full jitter, like the HTTP client.
            await sleep(Math.floor(random() * Math.min(maxDelay, baseDelay * 2 ** (n - 1))));
            continue;
          }
          if (!RETRYABLE.has(err.code)) {
            kit.logger.warn(
              { code: codeName(err.code), details: err.details },
              'user service VerifyToken failed',
            );
          }
          throw new DependencyUnavailableError(
            {
              dependency: 'upstream',
              reason: err.code === GrpcStatus.DEADLINE_EXCEEDED ? 'timeout' : 'down',
            },
            { cause: err, retryAfterSeconds: 2 },
          );
        }
      }
    },
    close() {
      client.close();
    },
  };
}

type VerifyTokenMethod = MethodDefinition<{ token: string }, VerifyTokenResponse>;

/** The channel to the user service (reconnecting within seconds) and the VerifyToken method. */
function openChannel(target: string): { client: Client; method: VerifyTokenMethod } {
  const definition = loadSync(USER_SERVICE_PROTO, { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] })[
    USER_SERVICE_NAME
  ] as Record<string, VerifyTokenMethod>;
  const method = definition[METHOD]!;
  const client = new Client(target, credentials.createInsecure(), {
    // A restarted user service is found again within seconds, not after grpc-js's default 2 min backoff.
    'grpc.initial_reconnect_backoff_ms': 500,
    'grpc.max_reconnect_backoff_ms': 5000,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
  });
  return { client, method };
}

/** One VerifyToken attempt with its deadline, timed in `grpc_client_request_duration_seconds`. */
function callVerifyToken(
  client: Client,
  method: VerifyTokenMethod,
  duration: ReturnType<typeof clientMetrics>,
  token: string,
  deadlineMs: number,
): Promise<VerifyTokenResponse> {
  return new Promise<VerifyTokenResponse>((resolve, reject) => {
    const end = duration.startTimer({ upstream: 'user', method: FULL_METHOD });
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      { token },
      new Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err, value) => {
        end({ code: codeName(err ? err.code : GrpcStatus.OK) });
        if (err || !value) reject(err ?? new Error('empty VerifyToken answer'));
        else resolve(value);
      },
    );
  });
}
