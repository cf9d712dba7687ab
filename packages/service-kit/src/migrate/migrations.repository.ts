import type pg from 'pg';

/** A row of `<schema>.schema_migrations`. */
export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

// Schema names are validated by the runner (/^[a-z_][a-z0-9_]*$/) before reaching these helpers,
// so quoting them as identifiers is safe; every value still goes through parameters.
const q = (schema: string) => `"${schema}"`;

/** Session-level advisory lock keyed by the schema, so concurrent migrate jobs queue up. */
export async function acquireMigrationLock(client: pg.ClientBase, schema: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [`shop:migrations:${schema}`]);
}

export async function releaseMigrationLock(client: pg.ClientBase, schema: string): Promise<void> {
  await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`shop:migrations:${schema}`]);
}

export async function ensureMigrationsTable(client: pg.ClientBase, schema: string): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${q(schema)}.schema_migrations (
       version integer PRIMARY KEY,
       name text NOT NULL,
       checksum text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now(),
       execution_ms integer NOT NULL
     )`,
  );
}

export async function listAppliedMigrations(
  client: pg.ClientBase,
  schema: string,
): Promise<AppliedMigration[]> {
  const { rows } = await client.query<AppliedMigration>(
    `SELECT version, name, checksum FROM ${q(schema)}.schema_migrations ORDER BY version`,
  );
  return rows;
}

/** Runs one migration file and records it, inside one transaction with the schema first on the search path. */
export async function applyMigration(
  client: pg.ClientBase,
  schema: string,
  migration: { version: number; name: string; checksum: string; sql: string },
  now: () => number,
): Promise<void> {
  const started = now();
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL search_path TO ${q(schema)}, public`);
    await client.query(migration.sql);
    await client.query(
      `INSERT INTO ${q(schema)}.schema_migrations (version, name, checksum, execution_ms) VALUES ($1, $2, $3, $4)`,
      [migration.version, migration.name, migration.checksum, Math.round(now() - started)],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}
