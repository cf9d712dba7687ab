import { eventually } from './eventually.js';
import { type ServiceProcess, startServiceProcess } from './service-process.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** TCP proxies in front of a service's PostgreSQL and Redis, so a test can cut them under it. */
export interface DependencyProxies {
  postgres: TcpProxy;
  redis: TcpProxy;
  /** The service environment with `DATABASE_URL` and `REDIS_URL` pointing through the proxies. */
  env: Record<string, string>;
  /** Forwards both again (after a test stopped or blackholed one). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

function through(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

/**
 * Starts one proxy to the `DATABASE_URL` of `env` and one to its `REDIS_URL` and returns `env`
 * rewritten to go through them (pass it to `startServiceProcess`).
 */
export async function proxyDependencies(env: Record<string, string>): Promise<DependencyProxies> {
  const database = env.DATABASE_URL;
  const redisUrl = env.REDIS_URL;
  if (!database || !redisUrl) throw new Error('proxyDependencies needs DATABASE_URL and REDIS_URL in env');
  const pg = new URL(database);
  const rd = new URL(redisUrl);
  const postgres = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  const redis = await startTcpProxy({ host: rd.hostname, port: Number(rd.port || 6379) });
  return {
    postgres,
    redis,
    env: { ...env, DATABASE_URL: through(database, postgres), REDIS_URL: through(redisUrl, redis) },
    async restore() {
      await postgres.start();
      await redis.start();
    },
    async close() {
      await postgres.close();
      await redis.close();
    },
  };
}

/** A service process whose PostgreSQL and Redis run through proxies the test can cut. */
export interface ServiceBehindProxies {
  app: ServiceProcess;
  deps: DependencyProxies;
  /** How many JSON log lines of the process carry `msg` so far. */
  logCount(msg: string): number;
  /** Kills the process and closes the proxies. */
  close(): Promise<void>;
}

/** A log line predicate for `waitForLog`/`logLines().filter`: the pino message is `msg`. */
export const byMessage = (msg: string) => (line: Record<string, unknown>) => line.msg === msg;

/**
 * Starts `entry` (a service's `src/main.ts` or `dist/main.js`) with `env` rewritten by
 * `proxyDependencies`, and waits until its `/readyz` answers 200.
 */
export async function startServiceBehindProxies(options: {
  entry: string;
  env: Record<string, string>;
  cwd?: string;
  startTimeoutMs?: number;
}): Promise<ServiceBehindProxies> {
  const deps = await proxyDependencies(options.env);
  try {
    const app = await startServiceProcess({
      entry: options.entry,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: deps.env,
      healthPath: '/readyz',
      startTimeoutMs: options.startTimeoutMs ?? 45_000,
    });
    return {
      app,
      deps,
      logCount: (msg) => app.logLines().filter(byMessage(msg)).length,
      async close() {
        await app.stop();
        await deps.close();
      },
    };
  } catch (err) {
    await deps.close();
    throw err;
  }
}

/**
 * `eventually` for a probe whose result is judged by `accept`: resolves with the first accepted
 * result (a count of 0 or a 503 response included), polling every `intervalMs` (default 50) at most
 * `attempts` times (default 200).
 */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  options: { attempts?: number; intervalMs?: number } = {},
): Promise<T> {
  const accepted = await eventually(
    async () => {
      const value = await probe();
      return accept(value) ? { value } : undefined;
    },
    { attempts: options.attempts ?? 200, intervalMs: options.intervalMs ?? 50 },
  );
  return accepted.value;
}
