import { Redis, type RedisOptions } from 'ioredis';
import { addMetricSource } from '../core/metrics.js';
import type { ServiceKit } from '../core/service-kit.js';

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
}

/**
 * An ioredis client wired into the kit: readiness check (`PING`), a `redis_client_ready` gauge and a
 * shutdown hook (`QUIT`, falling back to disconnect). ioredis reconnects on its own, so readiness
 * recovers without a restart when Redis comes back.
 */
export function createRedis(kit: ServiceKit, options: RedisClientOptions): Redis {
  const name = options.name ?? 'redis';
  const client = new Redis(options.url, {
    keyPrefix: options.keyPrefix || undefined,
    connectionName: kit.name,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    // Reconnect forever with a capped backoff; readiness reports the outage meanwhile.
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...options.redisOptions,
  });
  // Without a listener ioredis prints every connection error; log at warn, once per state change.
  let lastError: string | undefined;
  client.on('error', (err: Error) => {
    if (err.message !== lastError) kit.logger.warn({ err, client: name }, 'Redis connection error');
    lastError = err.message;
  });
  client.on('ready', () => {
    if (lastError !== undefined) kit.logger.info({ client: name }, 'Redis connection restored');
    lastError = undefined;
  });

  kit.readiness.addCheck(
    name,
    async () => {
      // Fail fast instead of queueing a PING behind a reconnect.
      if (client.status !== 'ready') throw new Error(`connection ${client.status}`);
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
