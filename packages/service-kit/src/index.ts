export {
  createPgPool,
  guardPgClient,
  guardPgPool,
  logPgPoolOutages,
  type PgPoolOptions,
} from './clients/pg-pool.js';
export {
  type Db,
  type TransactionOptions,
  withClient,
  withTransaction,
} from './clients/pg-transaction.repository.js';
export {
  createRedis,
  openRedis,
  type RedisClientOptions,
  type RedisSentinelOptions,
  redisConnectionOptions,
} from './clients/redis.js';
export {
  type BaseConfig,
  baseConfigSchema,
  ConfigError,
  type DerivedConfig,
  isSecretKey,
  loadConfig,
  redactConfig,
} from './config/config.js';
export { durationMs, parseDurationMs } from './config/duration.js';
export {
  type BootstrapServiceOptions,
  bootstrapService,
  createDataClients,
  type DataClientOptions,
  pgPoolOptionsFromConfig,
  type RunMainOptions,
  readPackageVersion,
  redisOptionsFromConfig,
  runMain,
  type ServiceBootstrap,
} from './core/bootstrap.js';
export { drainingReply, errorReply, type HttpReply, notFoundReply } from './core/http-replies.js';
export {
  addMetricSource,
  HTTP_DURATION_BUCKETS,
  type HttpMetrics,
  KIT_PATHS,
  type MetricsFactory,
  UNMATCHED_ROUTE,
} from './core/metrics.js';
export { livenessResponse, metricsResponse, type ProbeResponse, readinessResponse } from './core/probes.js';
export type {
  CheckResult,
  ReadinessCheck,
  ReadinessCheckOptions,
  ReadinessReport,
  ReadinessState,
} from './core/readiness.js';
export {
  DISCARD_BODY_LIMIT_BYTES,
  type DiscardBodyOptions,
  discardRequestBody,
} from './core/request-body.js';
export type { DrainStatus } from './core/server-drain.js';
export {
  createServiceKit,
  type KitClock,
  type Lifecycle,
  type ServiceKit,
  type ServiceKitOptions,
  type ShutdownOptions,
} from './core/service-kit.js';
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
export {
  drainingProblem,
  KitErrorCodes,
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
  type ProblemResponse,
  problemFromError,
  routeNotFoundProblem,
  validationProblem,
} from './errors/problem-details.js';
export { issuesFromAjv, issuesFromZod, jsonPointer } from './errors/validation-issues.js';
export {
  createFaultFlags,
  FAULT_FLAGS,
  type FaultFlagKey,
  type FaultFlags,
  type FaultFlagsOptions,
  type FaultFlagValue,
  type PercentFlag,
} from './flags/fault-flags.js';
export {
  FlagdFileProvider,
  type FlagdFileProviderOptions,
  type FlagdFlag,
  parseFlagdDocument,
} from './flags/flagd-file.provider.js';
export {
  type CreateLoggerOptions,
  createLogger,
  type Logger,
  redactPaths,
  traceMixin,
} from './logger/logger.js';
export {
  type BackgroundLoop,
  type BackgroundLoopOptions,
  type BackoffOptions,
  backoffDelay,
  createBackgroundLoop,
  sleepUnlessAborted,
} from './resilience/background-loop.js';
export { type BackgroundWorker, startWorkers } from './resilience/background-worker.js';
export {
  DEPENDENCY_UNAVAILABLE,
  type DependencyFailure,
  type DependencyName,
  DependencyUnavailableError,
  dependencyFailureOf,
  type FailureReason,
  failureReasonOf,
  tagDependencyError,
} from './resilience/dependency-errors.js';
export {
  createOutageLog,
  failureFields,
  type OutageLog,
  type OutageLogger,
  type OutageLogOptions,
} from './resilience/outage-log.js';
export { flushTelemetry, startTelemetry, telemetryDisabled } from './telemetry/telemetry.js';
