// Starts the whole shop as real processes: one throwaway database (four schemas, as in production),
// one Redis key prefix shared by the four services (it names the streams), migrations run as a
// separate step (`node dist/migrate.js`), then `node --import @shop/service-kit/telemetry dist/main.js`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createTestDatabase,
  createTestRedisPrefix,
  getFreePort,
  type ServiceProcess,
  startServiceProcess,
  type TestDatabase,
  type TestRedisPrefix,
} from '@shop/testing';
import pg from 'pg';

const run = promisify(execFile);

export const SERVICES = ['user', 'product', 'payment', 'order'] as const;
export type ServiceName = (typeof SERVICES)[number];

export const INTERNAL_API_TOKEN = 'e2e-internal-token-0123456789abcdef';
export const PAYMENT_GATEWAY_KEY = 'e2e-sandbox-webhook-key-0123456789';
export const ADMIN = {
  username: 'shopadmin',
  email: 'shopadmin@example.com',
  password: 'admin password 2026!',
};

const serviceDir = (name: ServiceName) =>
  fileURLToPath(new URL(`../../../services/${name}/`, import.meta.url));

export interface StackOptions {
  /** Order payment TTL (seconds); short so the expiry guarantees are observable. */
  orderTtlSeconds: number;
  /** Extra environment per service. */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
}

export interface Stack {
  db: TestDatabase;
  redis: TestRedisPrefix;
  /** A pool on the test database, for assertions across schemas (the services never share one). */
  pool: pg.Pool;
  ports: Record<ServiceName, number>;
  /** The user service's gRPC port (UserService, grpc.health.v1.Health); the order service calls it. */
  userGrpcPort: number;
  url(name: ServiceName): string;
  process(name: ServiceName): ServiceProcess;
  /** (Re)starts one service on its fixed port, with optional environment overrides. */
  start(name: ServiceName, env?: Record<string, string>): Promise<ServiceProcess>;
  /** Stops one service gracefully (SIGTERM) and waits for it to exit — a real outage of that dependency. */
  stopService(name: ServiceName): Promise<void>;
  stop(): Promise<void>;
}

/** Loads the demo catalog (10 categories × 6 products with stock) the way compose's `seed` step does. */
export async function seedCatalog(stack: Stack): Promise<void> {
  await run(process.execPath, ['dist/seed.js'], {
    cwd: serviceDir('product'),
    env: { ...process.env, DATABASE_URL: stack.db.url, LOG_LEVEL: 'warn' },
  });
}

export async function startStack(options: StackOptions): Promise<Stack> {
  for (const name of SERVICES) {
    if (!existsSync(`${serviceDir(name)}dist/main.js`)) {
      throw new Error(
        `services/${name}/dist is missing: run "npm run build" (turbo builds it before test:e2e)`,
      );
    }
  }
  const db = await createTestDatabase('e2e');
  const redis = createTestRedisPrefix('e2e');
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const ports = Object.fromEntries(
    await Promise.all(SERVICES.map(async (s) => [s, await getFreePort()] as const)),
  ) as Record<ServiceName, number>;
  const userGrpcPort = await getFreePort();
  const url = (name: ServiceName) => `http://127.0.0.1:${ports[name]}`;
  const common: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    INTERNAL_API_TOKEN,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    SERVICE_HOST: '127.0.0.1',
    USER_SERVICE_URL: url('user'),
    PRODUCT_SERVICE_URL: url('product'),
    PAYMENT_SERVICE_URL: url('payment'),
    SERVICE_TIMEOUT: '3s',
    SERVICE_RETRY: '2',
    SHUTDOWN_TIMEOUT_MS: '5000',
    // The SDK runs (context propagation, spans) but exports nowhere.
    OTEL_TRACES_EXPORTER: 'none',
  };
  const perService: Record<ServiceName, Record<string, string>> = {
    user: {
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      GRPC_PORT: String(userGrpcPort),
    },
    product: { RESERVATION_SWEEP_INTERVAL_MS: '500' },
    payment: {
      PAYMENT_GATEWAY_KEY,
      SANDBOX_ASYNC_DELAY_MS: '300',
      SANDBOX_WEBHOOK_POLL_MS: '50',
      OUTBOX_POLL_INTERVAL_MS: '50',
      PAYMENT_RECOVERY_AFTER_MS: '3000',
      PAYMENT_RECOVERY_INTERVAL_MS: '1000',
    },
    order: {
      // Access tokens are checked by the user service over gRPC, as compose and Kubernetes run it.
      USER_GRPC_URL: `127.0.0.1:${userGrpcPort}`,
      ORDER_PAYMENT_TTL_SECONDS: String(options.orderTtlSeconds),
      ORDER_SWEEP_INTERVAL_MS: '250',
      OUTBOX_POLL_INTERVAL_MS: '50',
      EVENTS_CLAIM_IDLE_MS: '2000',
      EVENTS_RECLAIM_INTERVAL_MS: '500',
      CIRCUIT_BREAKER_RESET_MS: '1000',
    },
  };

  for (const name of SERVICES) {
    await run(process.execPath, ['dist/migrate.js'], {
      cwd: serviceDir(name),
      env: { ...process.env, ...common, ...perService[name] },
    });
  }

  const processes = new Map<ServiceName, ServiceProcess>();
  const start = async (name: ServiceName, env: Record<string, string> = {}) => {
    const proc = await startServiceProcess({
      entry: 'dist/main.js',
      cwd: serviceDir(name),
      imports: ['@shop/service-kit/telemetry'],
      port: ports[name],
      healthPath: '/readyz',
      startTimeoutMs: 30_000,
      env: { ...common, ...perService[name], ...options.env?.[name], ...env },
    });
    processes.set(name, proc);
    return proc;
  };
  try {
    // The user service first: the others fetch its JWKS.
    for (const name of SERVICES) await start(name);
  } catch (err) {
    await Promise.all([...processes.values()].map((p) => p.stop()));
    await pool.end();
    await db.drop();
    await redis.cleanup();
    throw err;
  }

  return {
    db,
    redis,
    pool,
    ports,
    userGrpcPort,
    url,
    process: (name) => processes.get(name)!,
    start,
    async stopService(name) {
      const proc = processes.get(name)!;
      proc.signal('SIGTERM');
      await proc.waitForExit(10_000);
    },
    async stop() {
      // SIGTERM first so the graceful path runs; stop() SIGKILLs whatever is left.
      for (const p of processes.values()) p.signal('SIGTERM');
      await Promise.all([...processes.values()].map((p) => p.waitForExit(8000).catch(() => p.stop())));
      await pool.end();
      await db.drop();
      await redis.cleanup();
    },
  };
}
