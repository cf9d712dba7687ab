// Each schema once: the outbox and processed-events tables are defined by @shop/events
// (`eventTablesSql`), and every service that produces or consumes events carries a copy in its own
// migrations (a service's migrations are its whole schema history; they cannot import TypeScript).
// This test keeps the copies honest: it runs each service's real migrations and `eventTablesSql` into
// two schemas of one throwaway database and compares what PostgreSQL built — columns, defaults,
// nullability, constraints and indexes — so an edit to either side that the other lacks fails here.
import path from 'node:path';
import { eventTablesSql } from '@shop/events';
import { runMigrations } from '@shop/service-kit/migrate';
import { createTestDatabase, type TestDatabase } from '@shop/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** Each service's schema and which event tables its migrations must define. */
const SERVICES = [
  { service: 'order', schema: 'orders', tables: ['outbox', 'processed_events'] },
  { service: 'payment', schema: 'payments', tables: ['outbox', 'processed_events'] },
  { service: 'product', schema: 'catalog', tables: ['processed_events'] },
] as const;

type TableShape = { columns: string[]; constraints: string[]; indexes: string[] };

async function shapeOf(db: pg.Pool, schema: string, table: string): Promise<TableShape> {
  const columns = await db.query<{ c: string }>(
    `SELECT column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '-') AS c
       FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  const constraints = await db.query<{ c: string }>(
    `SELECT contype::text || ' ' || pg_get_constraintdef(oid) AS c FROM pg_constraint
      WHERE conrelid = to_regclass($1) ORDER BY 1`,
    [`${schema}.${table}`],
  );
  // Index definitions name the schema; compare them with it taken out.
  const indexes = await db.query<{ c: string }>(
    `SELECT replace(indexdef, $1, 'S.') AS c FROM pg_indexes
      WHERE schemaname = $2 AND tablename = $3 ORDER BY indexname`,
    [`${schema}.`, schema, table],
  );
  return {
    columns: columns.rows.map((r) => r.c),
    constraints: constraints.rows.map((r) => r.c),
    indexes: indexes.rows.map((r) => r.c),
  };
}

describe('event tables: every service migration matches @shop/events eventTablesSql', () => {
  let database: TestDatabase;
  let db: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase('event_tables');
    db = new pg.Pool({ connectionString: database.url, max: 2 });
    await db.query(eventTablesSql('reference'));
    for (const { service, schema } of SERVICES)
      await runMigrations({
        pool: db,
        schema,
        dir: path.join(repoRoot, 'services', service, 'migrations'),
        retryForMs: 0,
      });
  });

  afterAll(async () => {
    await db?.end();
    await database?.drop();
  });

  it('the reference DDL itself defines both tables (the comparison below is not vacuous)', async () => {
    const outbox = await shapeOf(db, 'reference', 'outbox');
    const processed = await shapeOf(db, 'reference', 'processed_events');
    expect(outbox.columns.length).toBeGreaterThan(5);
    expect(outbox.indexes.some((i) => i.includes('WHERE (published_at IS NULL)'))).toBe(true);
    expect(processed.constraints).toEqual(['p PRIMARY KEY (consumer, event_id)']);
  });

  for (const { service, schema, tables } of SERVICES)
    for (const table of tables)
      it(`${service}: ${schema}.${table} has exactly the shape of eventTablesSql`, async () => {
        expect(await shapeOf(db, schema, table)).toEqual(await shapeOf(db, 'reference', table));
      });
});
