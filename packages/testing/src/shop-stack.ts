// The part of "start the whole shop as real processes" that the e2e suites (tests/e2e/support/stack.ts)
// and the bench (bench/src/stack.ts) share: the four services and where they live, one throwaway
// database (four schemas, as in production) and one Redis key prefix (it names the streams), a port
// per service, the environment that wires them to each other, migrations as a separate step
// (`node dist/migrate.js`), the demo catalog (`node dist/seed.js`), and the start order. How each
// caller spawns and watches the processes (log files and /proc figures, or captured logs) stays its own.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from './database.js';
import { getFreePort } from './ports.js';
import { createTestRedisPrefix, type TestRedisPrefix } from './redis.js';

const run = promisify(execFile);

/** The services, in start order: the user service first (the others fetch its JWKS). */
export const SHOP_SERVICES = ['user', 'product', 'payment', 'order'] as const;
export type ShopServiceName = (typeof SHOP_SERVICES)[number];

/** `services/<name>/` of this repository (with a trailing slash), from src or dist alike. */
export function shopServiceDir(name: ShopServiceName): string {
  return fileURLToPath(new URL(`../../../services/${name}/`, import.meta.url));
}

/** How the service image starts a service: the node options, the `--import`s and the entry of its CMD. */
export interface ShopImageCommand {
  nodeArgs: string[];
  imports: string[];
  entry: string;
  /**
   * The image's own environment (`ENV` of the runtime stages that needs no build argument, such as
   * NODE_ENV and the malloc settings): what a container has before compose or Kubernetes add theirs,
   * so callers put their own environment over it.
   */
  env: Record<string, string>;
}

/** The stages a service image is made of (`service` starts FROM `runtime-base`). */
const RUNTIME_STAGES = new Set(['runtime-base', 'service']);

/** `KEY=value` pairs of the `ENV` instructions in the runtime stages, skipping values that use build args. */
export function imageEnv(dockerfile: string): Record<string, string> {
  const env: Record<string, string> = {};
  let stage = '';
  // Continuation lines joined, comments dropped: one instruction per line.
  const lines = dockerfile
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replaceAll(/\\\n/g, ' ')
    .split('\n');
  for (const line of lines) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stage = from[1]?.toLowerCase() ?? '';
    else if (RUNTIME_STAGES.has(stage) && /^ENV\s/i.test(line)) {
      for (const [, key, value] of line.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) {
        const v = value!.replace(/^"(.*)"$/, '$1');
        if (!v.includes('$')) env[key!] = v;
      }
    }
  }
  return env;
}

/**
 * The services' command, read from the Dockerfile's `CMD ["node", …]` (paths relative to the service's
 * directory, the image's WORKDIR), so the e2e stack and the bench start each service exactly as its
 * container does: heap options, the telemetry entry, the bundle.
 */
export function shopImageCommand(): ShopImageCommand {
  const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
  const cmd = [...dockerfile.matchAll(/^CMD (\["node".*\])\s*$/gm)].pop()?.[1];
  if (!cmd) throw new Error('Dockerfile: no CMD ["node", …] for the services');
  const argv = (JSON.parse(cmd) as string[]).slice(1);
  const entry = argv.pop();
  if (!entry) throw new Error("Dockerfile: the services' CMD names no entry");
  const nodeArgs: string[] = [];
  const imports: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--import') imports.push(argv[++i] ?? '');
    else nodeArgs.push(argv[i]!);
  }
  return { nodeArgs, imports, entry, env: imageEnv(dockerfile) };
}

/** Throws unless every service has what its image starts (`shopImageCommand`); `hint` follows `run "npm run build"`. */
export function assertShopServicesBuilt(hint = ''): void {
  const { entry, imports } = shopImageCommand();
  for (const name of SHOP_SERVICES) {
    for (const file of [entry, ...imports.filter((m) => m.startsWith('.'))]) {
      if (!existsSync(`${shopServiceDir(name)}${file}`)) {
        throw new Error(`services/${name}/${file} is missing: run "npm run build"${hint}`);
      }
    }
  }
}

export interface ShopStackOptions {
  /** Names the database and the key prefix (`bench`, `e2e`). */
  label: string;
  internalApiToken: string;
  /** Under everything else (the bench passes its own environment, filtered); default none. */
  inherit?: Record<string, string>;
  /** Every service's settings beyond the addresses: LOG_LEVEL, NODE_ENV, OTEL_…, timeouts. */
  common?: Record<string, string>;
  /** Per service, over `common`. */
  perService?: (name: ShopServiceName) => Record<string, string>;
}

export interface ShopStack {
  db: TestDatabase;
  redis: TestRedisPrefix;
  ports: Record<ShopServiceName, number>;
  url(name: ShopServiceName): string;
  /**
   * A service's environment: the image's own (`shopImageCommand().env`, as a container has it under
   * compose's), `inherit`, then the addresses (DATABASE_URL, REDIS_URL,
   * REDIS_KEY_PREFIX, INTERNAL_API_TOKEN, SERVICE_HOST, USER/PRODUCT/PAYMENT_SERVICE_URL), then
   * `common`, `perService(name)` and `extra`, each over the one before.
   */
  env(name: ShopServiceName, extra?: Record<string, string>): Record<string, string>;
  /** Drops the database and deletes the key prefix. */
  dispose(): Promise<void>;
}

/** Creates the database, the key prefix and a free port per service; spawns nothing. */
export async function prepareShopStack(options: ShopStackOptions): Promise<ShopStack> {
  const db = await createTestDatabase(options.label);
  const redis = createTestRedisPrefix(options.label);
  const ports = Object.fromEntries(
    await Promise.all(SHOP_SERVICES.map(async (s) => [s, await getFreePort()] as const)),
  ) as Record<ShopServiceName, number>;
  const url = (name: ShopServiceName) => `http://127.0.0.1:${ports[name]}`;
  const image = shopImageCommand().env;
  const addresses: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    INTERNAL_API_TOKEN: options.internalApiToken,
    SERVICE_HOST: '127.0.0.1',
    USER_SERVICE_URL: url('user'),
    PRODUCT_SERVICE_URL: url('product'),
    PAYMENT_SERVICE_URL: url('payment'),
  };
  return {
    db,
    redis,
    ports,
    url,
    env: (name, extra = {}) => ({
      ...image,
      ...options.inherit,
      ...addresses,
      ...options.common,
      ...options.perService?.(name),
      ...extra,
    }),
    async dispose() {
      await db.drop();
      await redis.cleanup();
    },
  };
}

/** Runs each service's migrations (`node dist/migrate.js`), one service after the other. */
export async function migrateShop(env: (name: ShopServiceName) => Record<string, string>): Promise<void> {
  for (const name of SHOP_SERVICES) {
    await run(process.execPath, ['dist/migrate.js'], { cwd: shopServiceDir(name), env: env(name) });
  }
}

/** Loads the demo catalog (10 categories × 6 products with stock) the way compose's `seed` step does. */
export async function seedShopCatalog(env: Record<string, string | undefined>): Promise<void> {
  await run(process.execPath, ['dist/seed.js'], { cwd: shopServiceDir('product'), env });
}

/**
 * Starts every service in `SHOP_SERVICES` order with `start`; when one fails, stops those already
 * started with `stop` and rethrows.
 */
export async function startShopServices<P>(
  start: (name: ShopServiceName) => Promise<P>,
  stop: (proc: P) => Promise<unknown>,
): Promise<Record<ShopServiceName, P>> {
  const started = {} as Record<ShopServiceName, P>;
  try {
    for (const name of SHOP_SERVICES) started[name] = await start(name);
  } catch (err) {
    await Promise.all(Object.values<P>(started).map((p) => stop(p)));
    throw err;
  }
  return started;
}
