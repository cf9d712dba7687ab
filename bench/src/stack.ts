// The shop as production runs it (Dockerfile CMD): built dist, NODE_ENV=production, LOG_LEVEL=info JSON
// logs, the CMD's `node --import ./dist/telemetry.bundle.js dist/main.bundle.js` exporting OTLP/HTTP to a sink on loopback,
// the services' own default intervals. Logs go to files (a pipe read by nobody would block, and the bench
// must not spend its CPU parsing them).
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  assertShopServicesBuilt,
  getFreePort,
  migrateShop,
  prepareShopStack,
  SHOP_SERVICES,
  type ShopServiceName,
  seedShopCatalog,
  shopImageCommand,
  shopServiceDir,
  startShopServices,
  type TestDatabase,
  type TestRedisPrefix,
} from '@shop/testing';
import { cpuMsFromStat } from './stats.ts';

export const SERVICES = SHOP_SERVICES;
export type ServiceName = ShopServiceName;

export const INTERNAL_API_TOKEN = 'bench-internal-token-0123456789abcdef';
export const PAYMENT_GATEWAY_KEY = 'bench-sandbox-webhook-key-0123456789';

export const serviceDir = shopServiceDir;

export interface Proc {
  name: string;
  pid: number;
  port: number;
  url: string;
  /** spawn → first 200 from the ready path. */
  readyMs: number;
  rssAtReadyBytes: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

export async function cpuMs(pid: number): Promise<number> {
  return cpuMsFromStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
}

/** Spawns `node [nodeArgs] [--import …] entry`, polls `readyPath` every 20 ms until 200 (bounded). */
export async function spawnReady(options: {
  name: string;
  cwd: string;
  entry: string;
  imports?: string[];
  nodeArgs?: string[];
  env: Record<string, string>;
  port?: number;
  portEnv?: string;
  readyPath?: string;
  logFile: string;
  timeoutMs?: number;
}): Promise<Proc> {
  const port = options.port ?? (await getFreePort());
  const args = [
    ...(options.nodeArgs ?? []),
    ...(options.imports ?? []).flatMap((m) => ['--import', m]),
    options.entry,
  ];
  const log = createWriteStream(options.logFile, { flags: 'a' });
  await new Promise((resolve) => log.once('open', resolve));
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { ...options.env, [options.portEnv ?? 'SERVICE_PORT']: String(port), PORT: String(port) },
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const deadline = started + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`${options.name} exited before ready; see ${options.logFile}`);
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} not ready in time; see ${options.logFile}`);
    }
    const ok = await fetch(`${url}${options.readyPath ?? '/readyz'}`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyMs = performance.now() - started;
  const rssAtReadyBytes = await rssBytes(child.pid!);
  return {
    name: options.name,
    pid: child.pid!,
    port,
    url,
    readyMs,
    rssAtReadyBytes,
    child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
      log.end();
    },
  };
}

export interface Stack {
  db: TestDatabase;
  redis: TestRedisPrefix;
  procs: Record<ServiceName, Proc>;
  env(name: ServiceName, extra?: Record<string, string>): Record<string, string>;
  /** Starts another instance of a service on a free port (cold start, telemetry off, profiles). */
  spawn(
    name: ServiceName,
    options?: { env?: Record<string, string>; nodeArgs?: string[]; telemetry?: boolean; tag?: string },
  ): Promise<Proc>;
  stop(): Promise<void>;
}

export async function startStack(options: { sinkUrl: string; logDir: string }): Promise<Stack> {
  assertShopServicesBuilt();
  // The bench's own environment minus anything that would change the services' configuration.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k, v]) => v !== undefined && !/^(OTEL_|LOG_|NODE_ENV|DATABASE_URL|REDIS_|DB_|SERVICE_)/.test(k),
    ),
  ) as Record<string, string>;
  const perService: Record<ServiceName, Record<string, string>> = {
    user: {},
    product: {},
    payment: { PAYMENT_GATEWAY_KEY },
    order: {},
  };
  const shop = await prepareShopStack({
    label: 'bench',
    internalApiToken: INTERNAL_API_TOKEN,
    inherit: inherited,
    common: { NODE_ENV: 'production', LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: options.sinkUrl },
    perService: (name) => ({ OTEL_SERVICE_NAME: `${name}-service`, ...perService[name] }),
  });
  const { db, redis, ports, env } = shop;
  await migrateShop((name) => env(name, { LOG_LEVEL: 'warn' }));
  await seedShopCatalog(env('product', { LOG_LEVEL: 'warn' }));

  // Started as the image starts them (Dockerfile CMD): heap options, the telemetry entry, the bundle.
  const image = shopImageCommand();
  const extra: Proc[] = [];
  let n = 0;
  // The user service also listens for gRPC (GRPC_PORT, default 9090): every user instance gets a free
  // port of its own, or a second one (cold start) could not start beside the first.
  const grpcPort = async (name: ServiceName): Promise<Record<string, string>> =>
    name === 'user' ? { GRPC_PORT: String(await getFreePort()) } : {};
  const spawnService: Stack['spawn'] = async (name, o = {}) => {
    const proc = await spawnReady({
      name,
      cwd: serviceDir(name),
      entry: image.entry,
      imports: o.telemetry === false ? [] : image.imports,
      nodeArgs: [...image.nodeArgs, ...(o.nodeArgs ?? [])],
      env: env(name, { ...(await grpcPort(name)), ...o.env }),
      logFile: `${options.logDir}/${name}-${o.tag ?? 'extra'}-${n++}.log`,
    });
    extra.push(proc);
    return proc;
  };
  let procs: Record<ServiceName, Proc>;
  try {
    procs = await startShopServices(
      async (name) =>
        spawnReady({
          name,
          cwd: serviceDir(name),
          entry: image.entry,
          imports: image.imports,
          nodeArgs: image.nodeArgs,
          env: env(name, await grpcPort(name)),
          port: ports[name],
          logFile: `${options.logDir}/${name}.log`,
        }),
      (p) => p.stop(),
    );
  } catch (err) {
    await shop.dispose();
    throw err;
  }
  return {
    db,
    redis,
    procs,
    env,
    spawn: spawnService,
    async stop() {
      await Promise.all([...extra, ...Object.values(procs)].map((p) => p.stop()));
      await shop.dispose();
    },
  };
}
