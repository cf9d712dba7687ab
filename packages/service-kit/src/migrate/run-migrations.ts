import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Logger } from 'pino';
import { guardPgPool } from '../clients/pg-pool.js';
import { withClient } from '../clients/pg-transaction.repository.js';
import { backoffDelay } from '../resilience/background-loop.js';
import { dependencyFailureOf } from '../resilience/dependency-errors.js';
import { createOutageLog } from '../resilience/outage-log.js';
import {
  acquireMigrationLock,
  applyMigration,
  ensureMigrationsTable,
  listAppliedMigrations,
  releaseMigrationLock,
} from './migrations.repository.js';

export interface RunMigrationsOptions {
  /** Either a pool (shared with the app) or a connection string (the CLI). */
  pool?: pg.Pool;
  connectionString?: string;
  /** The service's schema: `users`, `catalog`, `orders`, `payments`. */
  schema: string;
  /** Directory holding `NNNN_name.sql` files. */
  dir: string | URL;
  logger?: Pick<Logger, 'info' | 'warn'> & { debug?: Logger['debug'] };
  /**
   * How long to keep retrying while PostgreSQL is unreachable, still starting up or drops the
   * connection mid-run (default 60 s; 0 = fail at once). Safe because each migration commits with
   * its record and the advisory lock dies with its connection.
   */
  retryForMs?: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

export interface MigrationResult {
  applied: string[];
  current: number;
}

/** Thrown when the database and the code disagree (newer schema, edited migration, bad file name). */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

interface MigrationFile {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Reads and checks the migration files of `dir` (sorted, unique versions). */
export async function readMigrationFiles(dir: string | URL): Promise<MigrationFile[]> {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir);
  const entries = (await readdir(path)).filter((f) => f.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const file of entries) {
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new MigrationError(`migration file ${file} does not match NNNN_name.sql`);
    const sql = await readFile(`${path}/${file}`, 'utf8');
    const version = Number(match[1]);
    if (files.some((f) => f.version === version))
      throw new MigrationError(`duplicate migration version ${version}`);
    files.push({
      version,
      name: match[2]!,
      file,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return files;
}

/**
 * Applies pending migrations of one schema in order, each in its own transaction, under an advisory
 * lock so replicas or parallel jobs never race. Refuses to run when the database knows a version the
 * code does not (newer schema) or an applied file's checksum changed.
 */
export async function runMigrations(options: RunMigrationsOptions): Promise<MigrationResult> {
  if (!SCHEMA_PATTERN.test(options.schema)) throw new MigrationError(`invalid schema name ${options.schema}`);
  if (!options.pool && !options.connectionString)
    throw new MigrationError('pool or connectionString is required');
  const files = await readMigrationFiles(options.dir);
  const ownPool = options.pool
    ? undefined
    : guardPgPool(new pg.Pool({ connectionString: options.connectionString, max: 1 }));
  const pool = options.pool ?? ownPool!;
  const retryForMs = options.retryForMs ?? 60_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const logger = options.logger;
  const outage = logger
    ? createOutageLog(
        {
          debug: (o, m) => logger.debug?.(o, m),
          info: (o, m) => logger.info(o, m),
          warn: (o, m) => logger.warn(o, m),
        },
        { subject: `migrations of ${options.schema}` },
      )
    : undefined;
  const started = performance.now();
  let failures = 0;
  try {
    for (;;) {
      try {
        const result = await withClient(pool, (client) => migrate(client, files, options));
        outage?.recovered();
        return result;
      } catch (err) {
        failures += 1;
        if (!dependencyFailureOf(err) || performance.now() - started >= retryForMs) throw err;
        outage?.failure(err);
        await sleep(backoffDelay(failures, { initialMs: 250, maxMs: 5000 }));
      }
    }
  } finally {
    await ownPool?.end();
  }
}

async function migrate(
  client: pg.PoolClient,
  files: MigrationFile[],
  options: RunMigrationsOptions,
): Promise<MigrationResult> {
  const schema = options.schema;
  await acquireMigrationLock(client, schema);
  try {
    await ensureMigrationsTable(client, schema);
    const applied = await listAppliedMigrations(client, schema);
    verify(applied, files, schema);
    const done = new Set(applied.map((m) => m.version));
    const pending = files.filter((f) => !done.has(f.version));
    for (const migration of pending) {
      await applyMigration(client, schema, migration, () => performance.now());
      options.logger?.info({ schema, migration: migration.file }, 'migration applied');
    }
    const current = files.at(-1)?.version ?? 0;
    if (pending.length === 0) options.logger?.info({ schema, current }, 'schema is up to date');
    return { applied: pending.map((m) => m.file), current };
  } finally {
    await releaseMigrationLock(client, schema).catch((err: unknown) => {
      // A lost connection released the session lock with it; report the original failure.
      if (!dependencyFailureOf(err)) throw err;
    });
  }
}

function verify(
  applied: { version: number; name: string; checksum: string }[],
  files: MigrationFile[],
  schema: string,
) {
  const byVersion = new Map(files.map((f) => [f.version, f]));
  for (const row of applied) {
    const file = byVersion.get(row.version);
    if (!file) {
      throw new MigrationError(
        `schema ${schema} has migration ${row.version}_${row.name} that this code does not know: the database is newer than the code`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${file.file} was changed after it was applied to schema ${schema} (checksum mismatch)`,
      );
    }
  }
}
