import { createTestDatabase, type TestDatabase } from '@shop/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deferUntilCommit, withTransaction } from '../src/index.js';

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

describe('deferUntilCommit', () => {
  it('sends a deferred statement with the COMMIT, in one round trip, inside the transaction', async () => {
    const single = new pg.Pool({ connectionString: database.url, max: 1 });
    const sent: string[] = [];
    single.on('connect', (client) => {
      const query = client.query.bind(client) as (...a: unknown[]) => unknown;
      (client as { query: unknown }).query = (...a: unknown[]) => {
        sent.push(typeof a[0] === 'string' ? a[0] : (a[0] as { text: string }).text);
        return query(...a);
      };
    });
    try {
      await withTransaction(single, async (client) => {
        await client.query("INSERT INTO events (name) VALUES ('work')");
        expect(deferUntilCommit(client, "INSERT INTO events (name) VALUES ('deferred')")).toBe(true);
        // Not sent yet: the work's own reads inside the transaction do not see it.
        const seen = await client.query("SELECT 1 FROM events WHERE name = 'deferred'");
        expect(seen.rowCount).toBe(0);
      });
    } finally {
      await single.end();
    }
    expect(sent.at(-1)).toBe("INSERT INTO events (name) VALUES ('deferred');\nCOMMIT");
    expect(sent.filter((t) => t.includes('COMMIT'))).toHaveLength(1);
    expect(await names()).toEqual(expect.arrayContaining([{ name: 'work' }, { name: 'deferred' }]));
  });

  it('drops deferred statements when the work throws', async () => {
    await expect(
      withTransaction(pool, async (client) => {
        deferUntilCommit(client, "INSERT INTO events (name) VALUES ('deferred then rolled back')");
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await names()).not.toContainEqual({ name: 'deferred then rolled back' });
    // The next transaction on the same (pooled) connection does not inherit them.
    await withTransaction(pool, async (client) => {
      await client.query("INSERT INTO events (name) VALUES ('next')");
    });
    expect(await names()).not.toContainEqual({ name: 'deferred then rolled back' });
  });

  it('rolls the whole transaction back when a deferred statement fails, and rejects', async () => {
    const err = await withTransaction(pool, async (client) => {
      await client.query("INSERT INTO events (name) VALUES ('before a failing deferred statement')");
      deferUntilCommit(client, 'INSERT INTO events (name) VALUES (NULL)');
    }).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(err?.code).toBe('23502'); // not_null_violation
    expect(await names()).not.toContainEqual({ name: 'before a failing deferred statement' });
    expect(pool.totalCount - pool.idleCount).toBe(0);
    // The connection is usable again (not left inside an aborted transaction).
    expect((await pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
  });

  it('refuses outside a transaction of the kit (a pool, a bare client): the caller runs the statement itself', async () => {
    expect(deferUntilCommit(pool, 'SELECT 1')).toBe(false);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      expect(deferUntilCommit(client, 'SELECT 1')).toBe(false);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });
});
