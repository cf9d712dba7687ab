import { guardPgPool } from '@shop/service-kit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventoryRepository } from '../src/modules/inventory/inventory.repository.js';
import { createProductTestEnv, type ProductTestEnv } from './harness.js';

// Issue 16: the reservation was BEGIN, claim, lock, take, lines, total, two reads, COMMIT — nine
// round trips with the product rows locked across six of them. It is one named statement now.
let env: ProductTestEnv;
let pool: pg.Pool;
let texts: string[];
let names: Array<string | undefined>;

beforeAll(async () => {
  env = await createProductTestEnv('round-trips');
  pool = guardPgPool(new pg.Pool({ connectionString: env.db.url, max: 20 }));
  // Every statement the repository sends (pool.query runs on a client, so clients see them all).
  texts = [];
  names = [];
  const record = (q: unknown) => {
    texts.push(typeof q === 'string' ? q : ((q as { text?: string }).text ?? ''));
    names.push(typeof q === 'string' ? undefined : (q as { name?: string }).name);
  };
  pool.on('connect', (client) => {
    const clientQuery = client.query.bind(client) as (...a: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...a: unknown[]) => {
      record(a[0]);
      return clientQuery(...a);
    };
  });
});
afterAll(async () => {
  await pool?.end();
  await env?.teardown();
});

async function products(stocks: number[]): Promise<number[]> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO catalog.products (sku, name, price_amount, currency, stock)
     SELECT 'rt-' || gen_random_uuid(), 'p', 100, 'USD', s FROM unnest($1::int[]) AS s RETURNING id`,
    [stocks],
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

const stock = async (id: number) =>
  (await pool.query<{ stock: number }>('SELECT stock FROM catalog.products WHERE id = $1', [id])).rows[0]!
    .stock;

describe('reservation round trips', () => {
  it('reserves five lines in one round trip (no BEGIN/COMMIT), as a named statement', async () => {
    const ids = await products([5, 5, 5, 5, 5]);
    const repo = createInventoryRepository(pool);
    texts = [];
    names = [];
    const outcome = await repo.reserve(
      'rt-order-1',
      ids.map((productId) => ({ productId, quantity: 2 })),
      new Date(Date.now() + 60_000),
    );
    expect(outcome).toMatchObject({ kind: 'created', reservation: { total_amount: 1000 } });
    if (outcome.kind === 'created') expect(outcome.reservation.items).toHaveLength(5);
    expect(texts).toHaveLength(1);
    expect(texts.some((t) => /^\s*(BEGIN|COMMIT)/i.test(t))).toBe(false);
    expect(names).toEqual(['inventory_reserve']);
    // A rejection writes nothing and costs the statement plus the look for an existing reservation.
    texts = [];
    const rejected = await repo.reserve('rt-order-2', [{ productId: ids[0]!, quantity: 4 }], new Date());
    expect(rejected).toMatchObject({ kind: 'rejected', rejection: { insufficient: [{ available: 3 }] } });
    expect(texts.length).toBeLessThanOrEqual(2);
  });

  it('commits a reservation in one round trip and releases one (stock back) in five', async () => {
    const ids = await products([5, 5]);
    const repo = createInventoryRepository(pool);
    const lines = ids.map((productId) => ({ productId, quantity: 1 }));
    const expires = new Date(Date.now() + 60_000);
    await repo.reserve('rt-commit', lines, expires);
    await repo.reserve('rt-release', lines, expires);
    texts = [];
    names = [];
    expect(await repo.commit('rt-commit', new Date())).toMatchObject({
      kind: 'changed',
      reservation: { status: 'COMMITTED', items: [{ product_id: ids[0] }, { product_id: ids[1] }] },
    });
    // Paid in time (the usual case): one named statement, no BEGIN/lock/COMMIT.
    expect(texts).toHaveLength(1);
    expect(names).toEqual(['inventory_commit_if_reserved']);
    // Anything else (here: committed already) takes the locked transition: the statement that
    // matched nothing, BEGIN, lock, read, COMMIT.
    texts = [];
    names = [];
    expect(await repo.commit('rt-commit', new Date())).toMatchObject({
      kind: 'unchanged',
      reservation: { status: 'COMMITTED' },
    });
    expect(texts).toHaveLength(5);
    texts = [];
    expect(await repo.release('rt-release')).toMatchObject({
      kind: 'changed',
      reservation: { status: 'RELEASED' },
      productIds: ids,
    });
    expect(texts).toHaveLength(5);
    for (const id of ids) expect(await stock(id)).toBe(4);
  });

  it('sells the last unit of each product once when twenty orders for the same products race', async () => {
    const ids = await products([1, 1, 1]);
    const repo = createInventoryRepository(pool);
    const expires = new Date(Date.now() + 60_000);
    // Twenty orders, each wanting all three (lines sorted, as the service sends them): one wins.
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        repo.reserve(
          `rt-race-${i}`,
          ids.map((productId) => ({ productId, quantity: 1 })),
          expires,
        ),
      ),
    );
    expect(outcomes.filter((o) => o.kind === 'created')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'rejected')).toHaveLength(19);
    for (const id of ids) expect(await stock(id)).toBe(0);
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM catalog.reservations WHERE order_id LIKE 'rt-race-%'`,
    );
    expect(Number(rows[0]!.n)).toBe(1);
  });
});
