import pg from 'pg';
import { addMetricSource } from '../core/metrics.js';
import type { ServiceKit } from '../core/service-kit.js';
import { pingDatabase } from './pg-health.repository.js';

export interface PgPoolOptions {
  connectionString: string;
  /** DB_POOL_SIZE */
  max?: number;
  /** DB_CONNECTION_TIMEOUT in ms */
  connectionTimeoutMillis?: number;
  idleTimeoutMillis?: number;
  /** Server-side statement timeout in ms; a runaway query cannot hold a connection forever. */
  statementTimeoutMs?: number;
  /** Readiness check and metric label; defaults to `postgres`. */
  name?: string;
  /** Readiness check timeout (default 1000 ms). */
  checkTimeoutMs?: number;
  applicationName?: string;
}

/**
 * A `pg.Pool` wired into the kit: readiness check (`SELECT 1`), pool gauges
 * (`db_pool_connections{pool,state}`, `db_pool_waiting_clients{pool}`) and a shutdown hook that ends
 * the pool after in-flight requests finished.
 */
export function createPgPool(kit: ServiceKit, options: PgPoolOptions): pg.Pool {
  const name = options.name ?? 'postgres';
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 10_000,
    application_name: options.applicationName ?? kit.name,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled it would crash the process.
  pool.on('error', (err) => kit.logger.warn({ err, pool: name }, 'idle PostgreSQL client failed'));

  kit.readiness.addCheck(name, () => pingDatabase(pool), { timeoutMs: options.checkTimeoutMs ?? 1000 });
  registerPoolGauges(kit, name, pool);

  let ended = false;
  kit.onShutdown(`${name} pool`, async () => {
    if (ended) return;
    ended = true;
    await pool.end();
  });
  return pool;
}

function registerPoolGauges(kit: ServiceKit, name: string, pool: pg.Pool): void {
  addMetricSource(kit.registry, 'pg-pools', name, pool, (pools) => {
    kit.metrics.gauge({
      name: 'db_pool_connections',
      help: 'PostgreSQL pool connections by state',
      labelNames: ['pool', 'state'],
      collect() {
        for (const [label, p] of pools) {
          this.set({ pool: label, state: 'total' }, p.totalCount);
          this.set({ pool: label, state: 'idle' }, p.idleCount);
          this.set({ pool: label, state: 'busy' }, p.totalCount - p.idleCount);
        }
      },
    });
    kit.metrics.gauge({
      name: 'db_pool_waiting_clients',
      help: 'Queries waiting for a PostgreSQL pool connection',
      labelNames: ['pool'],
      collect() {
        for (const [label, p] of pools) this.set({ pool: label }, p.waitingCount);
      },
    });
  });
}
