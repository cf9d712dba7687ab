import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { DestinationStream } from 'pino';
import type { z } from 'zod';
import { createPgPool, type PgPoolOptions } from '../clients/pg-pool.js';
import { createRedis, type RedisClientOptions } from '../clients/redis.js';
import { type BaseConfig, type DerivedConfig, loadConfig, redactConfig } from '../config/config.js';
import { createLogger, type Logger } from '../logger/logger.js';
import { createServiceKit, type ServiceKit, type ServiceKitOptions } from './service-kit.js';

type Env = Record<string, string | undefined>;

/** `version` of a package.json, e.g. `readPackageVersion(new URL('../package.json', import.meta.url))`. */
export function readPackageVersion(packageJsonUrl: URL): string {
  const { version } = JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string') throw new Error(`${packageJsonUrl.pathname} has no version`);
  return version;
}

export interface BootstrapServiceOptions<S extends z.ZodObject> {
  /** Short service name: the `service` label on every metric (`user`, `product`, …). */
  name: string;
  version: string;
  /** The service's schema: `baseConfigSchema.extend({ … })`. */
  configSchema: S & z.ZodType<BaseConfig, unknown>;
  /** The environment to parse; `main.ts` passes `process.env`, tests a literal object. */
  env: Env;
  /**
   * Install the process handlers (default true; in-process tests pass false): SIGTERM/SIGINT start
   * the graceful shutdown, an `uncaughtException`/`unhandledRejection` is logged and shuts down
   * gracefully with exit code 1.
   */
  installSignalHandlers?: boolean;
  /**
   * The service runs inside another process (an integration test): no signal handlers, `exit` does
   * nothing and the shutdown does not flush telemetry, so `kit.shutdown()` closes the service and
   * leaves the test worker running. `kitOptions` still win.
   */
  inProcess?: boolean;
  /** Passed to `createServiceKit` (tests inject `exit`, `sleep`, `signalSource`, …). */
  kitOptions?: Omit<ServiceKitOptions, 'name' | 'version' | 'logger' | 'shutdown'>;
  /** Where log lines go (tests capture them); stdout by default. */
  logDestination?: DestinationStream;
}

/** What every service's `main.ts` starts from: the parsed config, its logger and its kit. */
export interface ServiceBootstrap<C> {
  config: C;
  logger: Logger;
  kit: ServiceKit;
}

/**
 * The first lines of every `main.ts`: parse the environment once (throws `ConfigError` listing every
 * invalid key), create the logger (`SERVICE_NAME`, `LOG_LEVEL`, `LOG_FORMAT`), log the redacted
 * config, create the kit with `SHUTDOWN_DELAY_MS`/`SHUTDOWN_TIMEOUT_MS` and install the signal and
 * fault handlers.
 */
export function bootstrapService<S extends z.ZodObject>(
  options: BootstrapServiceOptions<S>,
): ServiceBootstrap<z.output<S> & DerivedConfig> {
  const config = loadConfig(options.configSchema, options.env);
  const base = config as unknown as BaseConfig;
  const logger = createLogger({
    name: base.SERVICE_NAME,
    level: base.LOG_LEVEL,
    format: base.LOG_FORMAT,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  logger.info({ version: options.version, config: redactConfig(config) }, `starting ${options.name} service`);
  const kit = createServiceKit({
    ...(options.inProcess ? { exit: () => {}, flushTelemetryOnShutdown: false } : {}),
    ...options.kitOptions,
    name: options.name,
    version: options.version,
    logger,
    shutdown: { delayMs: base.SHUTDOWN_DELAY_MS, timeoutMs: base.SHUTDOWN_TIMEOUT_MS },
    flags: {
      ...(base.FLAGS_FILE ? { file: base.FLAGS_FILE } : {}),
      pollIntervalMs: base.FLAGS_POLL_INTERVAL_MS,
    },
  });
  if ((options.installSignalHandlers ?? !options.inProcess) !== false) {
    kit.installSignalHandlers();
    kit.installFaultHandlers();
  }
  return { config, logger, kit };
}

type DataConfig = Pick<BaseConfig, 'DB_POOL_SIZE' | 'DB_CONNECTION_TIMEOUT' | 'REDIS_KEY_PREFIX'> &
  Partial<
    Pick<BaseConfig, 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_SENTINEL_PASSWORD' | 'REDIS_PASSWORD'>
  > &
  DerivedConfig;

/** `createPgPool` options from the base keys: `DATABASE_URL`/`DB_*`, `DB_POOL_SIZE`, `DB_CONNECTION_TIMEOUT`. */
export function pgPoolOptionsFromConfig(config: DataConfig): PgPoolOptions {
  return {
    connectionString: config.databaseUrl,
    max: config.DB_POOL_SIZE,
    connectionTimeoutMillis: config.DB_CONNECTION_TIMEOUT,
  };
}

/**
 * `createRedis` options from the base keys: `REDIS_URL`/`REDIS_*`, `REDIS_KEY_PREFIX`, and with
 * `REDIS_SENTINELS` the Sentinels to ask for the master of `REDIS_SENTINEL_NAME`.
 */
export function redisOptionsFromConfig(config: DataConfig): RedisClientOptions {
  return {
    url: config.redisUrl,
    keyPrefix: config.REDIS_KEY_PREFIX,
    ...(config.REDIS_SENTINELS
      ? {
          sentinel: {
            sentinels: config.REDIS_SENTINELS,
            name: config.REDIS_SENTINEL_NAME ?? 'shop',
            password: config.REDIS_SENTINEL_PASSWORD ?? config.REDIS_PASSWORD,
          },
        }
      : {}),
  };
}

export interface DataClientOptions {
  /** Overrides of the pool options derived from the config (e.g. `statementTimeoutMs`). */
  postgres?: Partial<PgPoolOptions>;
  /** Overrides of the Redis options, e.g. `{ critical: false }` when Redis is only a cache. */
  redis?: Partial<RedisClientOptions>;
}

/**
 * The PostgreSQL pool and Redis client of a service, configured from the base keys and wired into
 * the kit (readiness checks, gauges, shutdown hooks) by `createPgPool`/`createRedis`.
 */
export function createDataClients(
  kit: ServiceKit,
  config: DataConfig,
  options: DataClientOptions = {},
): { pool: pg.Pool; redis: Redis } {
  return {
    pool: createPgPool(kit, { ...pgPoolOptionsFromConfig(config), ...options.postgres }),
    redis: createRedis(kit, { ...redisOptionsFromConfig(config), ...options.redis }),
  };
}

export interface RunMainOptions {
  exit?: (code: number) => void;
  /** Where the failure is printed; stderr by default (the logger may not exist yet). */
  report?: (message: string) => void;
}

/**
 * Runs a service's async `main`. A startup failure prints its message — a `ConfigError` lists every
 * invalid key and never a secret — and exits 1, so the orchestrator sees a failed start, not a hang.
 */
export async function runMain(main: () => Promise<unknown>, options: RunMainOptions = {}): Promise<void> {
  try {
    await main();
  } catch (err) {
    (options.report ?? ((message) => console.error(message)))(
      err instanceof Error ? err.message : String(err),
    );
    (options.exit ?? ((code) => process.exit(code)))(1);
  }
}
