import pg from 'pg';
import { addMetricSource } from '../core/metrics.js';
import type { ServiceKit } from '../core/service-kit.js';
import { tagDependencyError } from '../resilience/dependency-errors.js';
import { createOutageLog, type OutageLogger } from '../resilience/outage-log.js';
import { pingDatabase } from './pg-health.repository.js';

const guarded = new WeakSet<object>();

/**
 * Gives a pg client a permanent `'error'` listener (once). pg emits `'error'` on a client whose
 * server connection dies (ECONNRESET, 57P01 admin shutdown, a restart); the pool listens only while
 * the client is idle, so without this a client that is checked out — a transaction, the outbox
 * relay, a consumer, a migration holding its advisory lock — turns a database restart into an
 * uncaught exception that ends the process. The failure still reaches the caller through the query
 * it breaks, and the pool discards the dead client on release.
 */
export function guardPgClient(client: pg.ClientBase, onError: (err: Error) => void = () => {}): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  client.on('error', (err: Error) => onError(tagDependencyError(err, 'postgres')));
}

/**
 * Guards a pool you created yourself (scripts, the migration runner): idle-client failures are
 * reported to `onError` instead of crashing the process, and every client it connects is guarded.
 * `createPgPool` does this for the pools of the services. Only the first call on a pool counts, so
 * libraries handed a pool (the outbox relay, the consumers) can call it defensively.
 */
export function guardPgPool(pool: pg.Pool, onError: (err: Error) => void = () => {}): pg.Pool {
  if (guarded.has(pool)) return pool;
  guarded.add(pool);
  pool.on('error', (err) => onError(tagDependencyError(err, 'postgres')));
  pool.on('connect', (client) => guardPgClient(client, onError));
  return pool;
}

/** The guard of `guardPgPool` logging each outage once (`PostgreSQL connection lost` / `… restored`). */
export function logPgPoolOutages(pool: pg.Pool, logger: OutageLogger, name = 'postgres'): pg.Pool {
  const outage = createOutageLog(logger, {
    subject: `${name} pool`,
    messages: { failed: 'PostgreSQL connection lost', recovered: 'PostgreSQL connection restored' },
  });
  guardPgPool(pool, (err) => outage.failure(err, { pool: name }));
  // A new connection succeeding is the database being back.
  pool.on('connect', () => outage.recovered({ pool: name }));
  return pool;
}

/**
 * pg's client, attributing its connection failures to PostgreSQL: a refused or reset socket says
 * nothing about which dependency it belonged to, and the answer (503 naming the database) should.
 */
class KitPgClient extends pg.Client {
  override connect(): Promise<void>;
  override connect(callback: (err: Error) => void): void;
  override connect(callback?: (err: Error) => void): Promise<void> | void {
    if (callback) {
      super.connect((err) => callback(err ? tagDependencyError(err, 'postgres') : err));
      return;
    }
    return super.connect().catch((err: unknown) => {
      throw tagDependencyError(err, 'postgres');
    });
  }
}

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
 * (`db_pool_connections{pool,state}`, `db_pool_waiting_clients{pool}`), a shutdown hook that ends
 * the pool after in-flight requests finished, and every client — idle or checked out — guarded
 * against server-side disconnects (see `guardPgClient`).
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
    Client: KitPgClient,
  });
  // Idle and checked-out clients losing their connection: logged once per outage, never a crash.
  logPgPoolOutages(pool, kit.logger, name);

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
