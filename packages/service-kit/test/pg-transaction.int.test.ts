import { createTestDatabase, type TestDatabase } from '@shop/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../src/index.js';

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase('kit_tx');
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  await pool.query('CREATE TABLE events (id serial PRIMARY KEY, name text NOT NULL)');
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const names = async () => (await pool.query<{ name: string }>('SELECT name FROM events ORDER BY id')).rows;
// A real PostgreSQL abort with SQLSTATE 40001, as a concurrent SERIALIZABLE transaction would cause.
const serializationFailure = `DO $$ BEGIN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = 'serialization_failure'; END $$`;

describe('withTransaction', () => {
  it('commits what the work did and returns its result', async () => {
    const id = await withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ id: number }>(
        "INSERT INTO events (name) VALUES ('committed') RETURNING id",
      );
      return rows[0]!.id;
    });
    expect(id).toBeGreaterThan(0);
    expect(await names()).toContainEqual({ name: 'committed' });
  });

  it('rolls everything back when the work throws, and returns the client to the pool', async () => {
    await expect(
      withTransaction(pool, async (client) => {
        await client.query("INSERT INTO events (name) VALUES ('rolled back')");
        throw new Error('business rule violated');
      }),
    ).rejects.toThrow('business rule violated');
    expect(await names()).not.toContainEqual({ name: 'rolled back' });
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it('runs the work again after a serialization failure when retries are allowed', async () => {
    let attempts = 0;
    const result = await withTransaction(
      pool,
      async (client) => {
        attempts += 1;
        await client.query("INSERT INTO events (name) VALUES ('retried')");
        if (attempts === 1) await client.query(serializationFailure);
        return attempts;
      },
      { retries: 2 },
    );
    expect(result).toBe(2);
    // The aborted attempt left nothing behind: exactly one row from the committed attempt.
    expect((await names()).filter((r) => r.name === 'retried')).toHaveLength(1);
  });

  it('does not retry by default, nor after errors that are not transient', async () => {
    let attempts = 0;
    await expect(
      withTransaction(pool, async (client) => {
        attempts += 1;
        await client.query(serializationFailure);
      }),
    ).rejects.toMatchObject({ code: '40001' });
    expect(attempts).toBe(1);

    attempts = 0;
    await expect(
      withTransaction(
        pool,
        async (client) => {
          attempts += 1;
          await client.query('SELECT * FROM missing_table');
        },
        { retries: 3 },
      ),
    ).rejects.toMatchObject({ code: '42P01' });
    expect(attempts).toBe(1);
  });

  it('gives up after the allowed retries and surfaces the last abort', async () => {
    let attempts = 0;
    await expect(
      withTransaction(
        pool,
        async (client) => {
          attempts += 1;
          await client.query(serializationFailure);
        },
        { retries: 2 },
      ),
    ).rejects.toMatchObject({ code: '40001' });
    expect(attempts).toBe(3);
  });
});
