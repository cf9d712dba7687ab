import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, startTcpProxy, type TestDatabase } from '@shop/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationError, migrateCli, runMigrations } from '../src/migrate/index.js';

let database: TestDatabase;
let pool: pg.Pool;
const dirs: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase('kit_migrations');
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kit-migrations-'));
  dirs.push(dir);
  await Promise.all(Object.entries(files).map(([name, sql]) => writeFile(join(dir, name), sql)));
  return dir;
}

const first = { '0001_create_items.sql': 'CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);' };
const second = {
  ...first,
  '0002_add_price.sql': 'ALTER TABLE items ADD COLUMN price_minor integer NOT NULL DEFAULT 0;',
};

async function appliedVersions(schema: string): Promise<number[]> {
  const { rows } = await pool.query<{ version: number }>(
    `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
  );
  return rows.map((r) => r.version);
}

describe('runMigrations', () => {
  it('waits for a database that is unreachable, then applies everything once it is back', async () => {
    const proxy = await startTcpProxy({ port: 5432 });
    await proxy.stop();
    const url = new URL(database.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const dir = await migrationsDir(first);
    const sleeps: number[] = [];
    try {
      const result = await runMigrations({
        connectionString: url.toString(),
        schema: 'm_wait',
        dir,
        sleep: async (ms) => {
          sleeps.push(ms);
          if (sleeps.length === 2) await proxy.start();
        },
      });
      expect(result.applied).toEqual(['0001_create_items.sql']);
      expect(sleeps).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it('survives its connection being cut in the middle of a migration and applies it on the retry', async () => {
    const proxy = await startTcpProxy({ port: 5432 });
    const url = new URL(database.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const dir = await migrationsDir({
      ...first,
      '0002_slow.sql': 'SELECT pg_sleep(0.5); ALTER TABLE items ADD COLUMN note text;',
    });
    try {
      const running = runMigrations({ connectionString: url.toString(), schema: 'm_cut', dir });
      for (let i = 0; i < 100; i++) {
        const { rows } = await pool.query(
          "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'SELECT pg_sleep(0.5)%'",
          [database.name],
        );
        if (rows.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      proxy.reset();
      expect((await running).current).toBe(2);
      expect(await appliedVersions('m_cut')).toEqual([1, 2]);
    } finally {
      await proxy.close();
    }
  });

  it('applies the files in order into the schema, records them and is a no-op when up to date', async () => {
    const dir = await migrationsDir(second);
    const result = await runMigrations({ pool, schema: 'm_order', dir });
    expect(result).toEqual({ applied: ['0001_create_items.sql', '0002_add_price.sql'], current: 2 });
    expect(await appliedVersions('m_order')).toEqual([1, 2]);
    // Unqualified names land in the service's schema, not public.
    const { rows } = await pool.query(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'm_order' AND table_name = 'items' ORDER BY ordinal_position",
    );
    expect(rows.map((r) => r.column_name)).toEqual(['id', 'name', 'price_minor']);
    expect(await runMigrations({ pool, schema: 'm_order', dir })).toEqual({ applied: [], current: 2 });
  });

  it('lets concurrent runs (replicas, parallel jobs) apply each migration exactly once', async () => {
    const dir = await migrationsDir(second);
    const runs = await Promise.all(
      Array.from({ length: 4 }, () =>
        runMigrations({ connectionString: database.url, schema: 'm_race', dir }),
      ),
    );
    expect(runs.flatMap((r) => r.applied).sort()).toEqual(['0001_create_items.sql', '0002_add_price.sql']);
    expect(await appliedVersions('m_race')).toEqual([1, 2]);
  });

  it('refuses to run when the database has a migration the code does not know', async () => {
    await runMigrations({ pool, schema: 'm_newer', dir: await migrationsDir(second) });
    const older = await migrationsDir(first);
    await expect(runMigrations({ pool, schema: 'm_newer', dir: older })).rejects.toThrow(MigrationError);
    await expect(runMigrations({ pool, schema: 'm_newer', dir: older })).rejects.toThrow(
      /database is newer than the code/,
    );
  });

  it('refuses to run when an applied migration was edited', async () => {
    await runMigrations({ pool, schema: 'm_edit', dir: await migrationsDir(first) });
    const edited = await migrationsDir({
      '0001_create_items.sql': 'CREATE TABLE items (id bigserial PRIMARY KEY);',
    });
    await expect(runMigrations({ pool, schema: 'm_edit', dir: edited })).rejects.toThrow(/checksum mismatch/);
  });

  it('rolls back a failing migration entirely and keeps the ones before it', async () => {
    const dir = await migrationsDir({
      ...first,
      '0002_broken.sql': 'CREATE TABLE half_done (id int); SELECT no_such_function();',
    });
    await expect(runMigrations({ pool, schema: 'm_fail', dir })).rejects.toThrow(/no_such_function/);
    expect(await appliedVersions('m_fail')).toEqual([1]);
    const { rows } = await pool.query("SELECT to_regclass('m_fail.half_done') AS t");
    expect(rows[0].t).toBeNull();
  });

  it('keeps one schema_migrations table per schema', async () => {
    const dir = await migrationsDir(first);
    await runMigrations({ pool, schema: 'm_users', dir });
    await runMigrations({ pool, schema: 'm_catalog', dir });
    expect(await appliedVersions('m_users')).toEqual([1]);
    expect(await appliedVersions('m_catalog')).toEqual([1]);
  });

  it('rejects file names that do not follow NNNN_name.sql and invalid schema names', async () => {
    const dir = await migrationsDir({ 'create.sql': 'SELECT 1;' });
    await expect(runMigrations({ pool, schema: 'm_names', dir })).rejects.toThrow(/NNNN_name\.sql/);
    await expect(
      runMigrations({ pool, schema: 'bad"; DROP', dir: await migrationsDir(first) }),
    ).rejects.toThrow(/invalid schema name/);
  });
});

describe('migrateCli', () => {
  it('exits 0 after applying and 1 with the reason when the schema is newer', async () => {
    const exits: number[] = [];
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'silent' };
    await migrateCli({ schema: 'm_cli', dir: await migrationsDir(second), env, exit: (c) => exits.push(c) });
    await migrateCli({ schema: 'm_cli', dir: await migrationsDir(first), env, exit: (c) => exits.push(c) });
    expect(exits).toEqual([0, 1]);
    expect(await appliedVersions('m_cli')).toEqual([1, 2]);
  });
});
