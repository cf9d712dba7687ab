// The kit's root entry: what the services use, plus the documented extension points (README "Public
// API"). Everything else is internal to the kit; framework adapters, the HTTP client, auth,
// migrations and telemetry are on their own subpaths (`/fastify`, `/express`, `/http-client`, `/auth`,
// `/migrate`, `/telemetry`). tests/architecture checks that every name here is used or documented.

// Clients wired into readiness, metrics and shutdown.
export { createPgPool, guardPgPool } from './clients/pg-pool.js';
export {
  commitTransaction,
  type Db,
  deferUntilCommit,
  rollbackTransaction,
  transactionOpened,
  withClient,
  withTransaction,
} from './clients/pg-transaction.repository.js';
export { createRedis, openRedis } from './clients/redis.js';

// Config.
export {
  baseConfigSchema,
  ConfigError,
  type DerivedConfig,
  loadConfig,
} from './config/config.js';
export { durationMs, parseDurationMs } from './config/duration.js';
// Lifecycle: main.ts → bootstrapService → compose → startWorkers → kit.listen.
export {
  bootstrapService,
  createDataClients,
  pgPoolOptionsFromConfig,
  readPackageVersion,
  redisOptionsFromConfig,
  runMain,
  type ServiceBootstrap,
} from './core/bootstrap.js';
export { addMetricSource, HTTP_DURATION_BUCKETS, type MetricsFactory } from './core/metrics.js';
// Extension points: readiness checks, metrics, logs, flags, background loops, outage handling.
export type { ReadinessCheck } from './core/readiness.js';
export { createServiceKit, type ServiceKit } from './core/service-kit.js';
export { lowerThreadPoolPriority } from './core/thread-priority.js';
// Errors (rendered as problem+json by the adapters).
export {
  ConflictError,
  DomainError,
  type DomainErrorOptions,
  type FieldIssue,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  UnprocessableEntityError,
  ValidationError,
} from './errors/domain-errors.js';
export type { ProblemDetails } from './errors/problem-details.js';
export type { FaultFlagKey, FaultFlags } from './flags/fault-flags.js';
export { createLogger, type Logger } from './logger/logger.js';
export {
  type BackgroundLoop,
  type BackgroundLoopOptions,
  backoffDelay,
  createBackgroundLoop,
  sleepUnlessAborted,
} from './resilience/background-loop.js';
export { type BackgroundWorker, startWorkers } from './resilience/background-worker.js';
export {
  DependencyUnavailableError,
  dependencyFailureOf,
  tagDependencyError,
} from './resilience/dependency-errors.js';
export { createOutageLog, type OutageLogger } from './resilience/outage-log.js';
