// Starts the whole shop as real processes: one throwaway database (four schemas, as in production),
// one Redis key prefix shared by the four services (it names the streams), migrations run as a
// separate step (`node dist/migrate.js`), then each service as its image starts it (the Dockerfile's CMD:
// `node <heap options> --import ./dist/telemetry.bundle.js dist/main.bundle.js`).
import {
  assertShopServicesBuilt,
  getFreePort,
  migrateShop,
  prepareShopStack,
  type ServiceProcess,
  SHOP_SERVICES,
  type ShopServiceName,
  seedShopCatalog,
  shopImageCommand,
  shopServiceDir,
  startServiceProcess,
  startShopServices,
  type TestDatabase,
  type TestRedisPrefix,
} from '@shop/testing';
import pg from 'pg';

export const SERVICES = SHOP_SERVICES;
export type ServiceName = ShopServiceName;

export const INTERNAL_API_TOKEN = 'e2e-internal-token-0123456789abcdef';
export const PAYMENT_GATEWAY_KEY = 'e2e-sandbox-webhook-key-0123456789';
export const ADMIN = {
  username: 'shopadmin',
  email: 'shopadmin@example.com',
  password: 'admin password 2026!',
};

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
  await seedShopCatalog({ ...process.env, DATABASE_URL: stack.db.url, LOG_LEVEL: 'warn' });
}

export async function startStack(options: StackOptions): Promise<Stack> {
  assertShopServicesBuilt(' (turbo builds it before test:e2e)');
  const userGrpcPort = await getFreePort();
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
  const shop = await prepareShopStack({
    label: 'e2e',
    internalApiToken: INTERNAL_API_TOKEN,
    common: {
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      SERVICE_TIMEOUT: '3s',
      SERVICE_RETRY: '2',
      SHUTDOWN_TIMEOUT_MS: '5000',
      // The SDK runs (context propagation, spans) but exports nowhere.
      OTEL_TRACES_EXPORTER: 'none',
    },
    perService: (name) => perService[name],
  });
  const { db, redis, ports, url } = shop;
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });

  await migrateShop((name) => ({ ...process.env, ...shop.env(name) }) as Record<string, string>);

  const image = shopImageCommand();
  const processes = new Map<ServiceName, ServiceProcess>();
  const start = async (name: ServiceName, env: Record<string, string> = {}) => {
    const proc = await startServiceProcess({
      entry: image.entry,
      nodeArgs: image.nodeArgs,
      cwd: shopServiceDir(name),
      imports: image.imports,
      port: ports[name],
      healthPath: '/readyz',
      startTimeoutMs: 30_000,
      env: shop.env(name, { ...options.env?.[name], ...env }),
    });
    processes.set(name, proc);
    return proc;
  };
  try {
    await startShopServices(start, (p) => p.stop());
  } catch (err) {
    await pool.end();
    await shop.dispose();
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
      await shop.dispose();
    },
  };
}
