import { Redis, type RedisOptions } from 'ioredis';
import { addMetricSource } from '../core/metrics.js';
import type { ServiceKit } from '../core/service-kit.js';
import {
  type DependencyFailure,
  DependencyUnavailableError,
  dependencyFailureOf,
  tagDependencyError,
} from '../resilience/dependency-errors.js';
import { createOutageLog } from '../resilience/outage-log.js';

export interface RedisClientOptions {
  url: string;
  keyPrefix?: string;
  /** When false, a Redis outage shows in /readyz detail but does not fail readiness (cache-only use). */
  critical?: boolean;
  /** Readiness check and metric label; defaults to `redis`. */
  name?: string;
  checkTimeoutMs?: number;
  /** Extra ioredis options (e.g. `maxRetriesPerRequest: null` for blocking stream consumers). */
  redisOptions?: RedisOptions;
  /**
   * Redis behind Sentinel: the master of `name` is asked from `sentinels` (and again after a failover);
   * `url` then only gives the master's password and database.
   */
  sentinel?: RedisSentinelOptions;
}

export interface RedisSentinelOptions {
  sentinels: Array<{ host: string; port: number }>;
  /** The monitored master's name (`sentinel monitor <name> …`). */
  name: string;
  /** The Sentinels' own password, if they require one. */
  password?: string;
}

/**
 * ioredis connection options for a URL, or for a Sentinel-managed master: ioredis asks the Sentinels
 * for the master, reconnects to the new one after a failover (a READONLY reply from a demoted master
 * also triggers the reconnect), and never writes to a replica.
 */
export function redisConnectionOptions(url: string, sentinel?: RedisSentinelOptions): RedisOptions {
  if (!sentinel) return {};
  const parsed = new URL(url);
  return {
    sentinels: sentinel.sentinels,
    name: sentinel.name,
    role: 'master',
    ...(sentinel.password ? { sentinelPassword: sentinel.password } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    db: Number(parsed.pathname.slice(1) || 0),
    // A failed-over master answers READONLY: reconnect (to the new master) and resend.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    // Sentinels keep answering while the master moves: retry them like the master itself.
    sentinelRetryStrategy: (times) => Math.min(times * 100, 2000),
  };
}

/** A bare ioredis client for a URL or a Sentinel-managed master (scripts that run without a kit). */
export function openRedis(
  target: Pick<RedisClientOptions, 'url' | 'sentinel'>,
  settings: RedisOptions = {},
): Redis {
  const options = { ...settings, ...redisConnectionOptions(target.url, target.sentinel) };
  // With Sentinels the URL's host is not where the master is: ioredis asks them.
  return target.sentinel ? new Redis(options) : new Redis(target.url, options);
}

/**
 * An ioredis client wired into the kit: readiness check (`PING`), a `redis_client_ready` gauge and a
 * shutdown hook (`QUIT`, falling back to disconnect). ioredis reconnects on its own, so readiness
 * recovers without a restart when Redis comes back.
 */
export function createRedis(kit: ServiceKit, options: RedisClientOptions): Redis {
  const name = options.name ?? 'redis';
  const settings: RedisOptions = {
    keyPrefix: options.keyPrefix || undefined,
    connectionName: kit.name,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    // Reconnect forever with a capped backoff; readiness reports the outage meanwhile.
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...options.redisOptions,
  };
  const client = openRedis(options, settings);
  // ioredis emits 'error' on every failed reconnect: one warn per outage, one info when it is back.
  const outage = createOutageLog(kit.logger, {
    subject: `${name} client`,
    messages: { failed: 'Redis connection lost', recovered: 'Redis connection restored' },
  });
  let lastFailure: DependencyFailure | undefined;
  client.on('error', (err: Error) => {
    tagDependencyError(err, 'redis');
    lastFailure = dependencyFailureOf(err);
    outage.failure(err, { client: name });
  });
  client.on('ready', () => {
    lastFailure = undefined;
    outage.recovered({ client: name });
  });

  kit.readiness.addCheck(
    name,
    async () => {
      // Fail fast instead of queueing a PING behind a reconnect; the reason is the last connection error's.
      if (client.status !== 'ready') {
        throw new DependencyUnavailableError({ dependency: 'redis', reason: lastFailure?.reason ?? 'down' });
      }
      await client.ping();
    },
    { timeoutMs: options.checkTimeoutMs ?? 1000, critical: options.critical ?? true },
  );
  registerReadyGauge(kit, name, client);
  kit.onShutdown(`${name} client`, async () => {
    if (client.status === 'end') return;
    try {
      await Promise.race([client.quit(), new Promise((_, reject) => setTimeout(reject, 1000).unref())]);
    } catch {
      client.disconnect();
    }
  });
  return client;
}

function registerReadyGauge(kit: ServiceKit, name: string, client: Redis): void {
  addMetricSource(kit.registry, 'redis-clients', name, client, (clients) => {
    kit.metrics.gauge({
      name: 'redis_client_ready',
      help: '1 when the Redis client connection is ready',
      labelNames: ['client'],
      collect() {
        for (const [label, c] of clients) this.set({ client: label }, c.status === 'ready' ? 1 : 0);
      },
    });
  });
}
