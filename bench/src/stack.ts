// The shop as production runs it (Dockerfile CMD): built dist, NODE_ENV=production, LOG_LEVEL=info JSON
// logs, `node --import @shop/service-kit/telemetry dist/main.js` exporting OTLP/HTTP to a sink on loopback,
// the services' own default intervals. Logs go to files (a pipe read by nobody would block, and the bench
// must not spend its CPU parsing them).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createTestDatabase,
  createTestRedisPrefix,
  getFreePort,
  type TestDatabase,
  type TestRedisPrefix,
} from '@shop/testing';
import { cpuMsFromStat } from './stats.ts';

const run = promisify(execFile);

export const SERVICES = ['user', 'product', 'payment', 'order'] as const;
export type ServiceName = (typeof SERVICES)[number];

export const INTERNAL_API_TOKEN = 'bench-internal-token-0123456789abcdef';
export const PAYMENT_GATEWAY_KEY = 'bench-sandbox-webhook-key-0123456789';

export const serviceDir = (name: ServiceName) =>
  fileURLToPath(new URL(`../../services/${name}/`, import.meta.url));

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
  for (const name of SERVICES) {
    if (!existsSync(`${serviceDir(name)}dist/main.js`))
      throw new Error(`services/${name}/dist is missing: run "npm run build"`);
  }
  const db = await createTestDatabase('bench');
  const redis = createTestRedisPrefix('bench');
  const ports = Object.fromEntries(
    await Promise.all(SERVICES.map(async (s) => [s, await getFreePort()] as const)),
  ) as Record<ServiceName, number>;
  const url = (name: ServiceName) => `http://127.0.0.1:${ports[name]}`;
  // The bench's own environment minus anything that would change the services' configuration.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k, v]) => v !== undefined && !/^(OTEL_|LOG_|NODE_ENV|DATABASE_URL|REDIS_|DB_|SERVICE_)/.test(k),
    ),
  ) as Record<string, string>;
  const common: Record<string, string> = {
    ...inherited,
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    INTERNAL_API_TOKEN,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    SERVICE_HOST: '127.0.0.1',
    USER_SERVICE_URL: url('user'),
    PRODUCT_SERVICE_URL: url('product'),
    PAYMENT_SERVICE_URL: url('payment'),
    OTEL_EXPORTER_OTLP_ENDPOINT: options.sinkUrl,
  };
  const perService: Record<ServiceName, Record<string, string>> = {
    user: {},
    product: {},
    payment: { PAYMENT_GATEWAY_KEY },
    order: {},
  };
  const env = (name: ServiceName, extra: Record<string, string> = {}) => ({
    ...common,
    OTEL_SERVICE_NAME: `${name}-service`,
    ...perService[name],
    ...extra,
  });
  for (const name of SERVICES) {
    await run(process.execPath, ['dist/migrate.js'], {
      cwd: serviceDir(name),
      env: env(name, { LOG_LEVEL: 'warn' }),
    });
  }
  await run(process.execPath, ['dist/seed.js'], {
    cwd: serviceDir('product'),
    env: env('product', { LOG_LEVEL: 'warn' }),
  });

  const extra: Proc[] = [];
  let n = 0;
  const spawnService: Stack['spawn'] = async (name, o = {}) => {
    const proc = await spawnReady({
      name,
      cwd: serviceDir(name),
      entry: 'dist/main.js',
      imports: o.telemetry === false ? [] : ['@shop/service-kit/telemetry'],
      nodeArgs: o.nodeArgs,
      env: env(name, o.env),
      logFile: `${options.logDir}/${name}-${o.tag ?? 'extra'}-${n++}.log`,
    });
    extra.push(proc);
    return proc;
  };
  const procs = {} as Record<ServiceName, Proc>;
  try {
    // The user service first: the others fetch its JWKS.
    for (const name of SERVICES) {
      procs[name] = await spawnReady({
        name,
        cwd: serviceDir(name),
        entry: 'dist/main.js',
        imports: ['@shop/service-kit/telemetry'],
        env: env(name),
        port: ports[name],
        logFile: `${options.logDir}/${name}.log`,
      });
    }
  } catch (err) {
    await Promise.all(Object.values(procs).map((p) => p.stop()));
    await db.drop();
    await redis.cleanup();
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
      await db.drop();
      await redis.cleanup();
    },
  };
}
