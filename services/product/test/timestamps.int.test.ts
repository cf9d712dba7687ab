import { guardPgPool } from '@shop/service-kit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProductsRepository } from '../src/modules/products/products.repository.js';
import { createProductTestEnv, type ProductTestEnv } from './harness.js';

// Product timestamps leave PostgreSQL as the API's ISO text (issue 16: no Date parsed per column and
// printed back per row on a search page), whatever the session's time zone.
let env: ProductTestEnv;
let pool: pg.Pool;
/** timestamptz values pg turned into Dates for the repository (its default parser, counted). */
let parsed = 0;
const TIMESTAMPTZ = 1184;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    const parse = pg.types.getTypeParser(oid, format as 'text');
    if (oid !== TIMESTAMPTZ) return parse;
    return (value: string) => {
      parsed += 1;
      return parse(value);
    };
  }) as typeof pg.types.getTypeParser,
};
beforeAll(async () => {
  env = await createProductTestEnv('timestamps');
  // A session in another time zone: the text must still be UTC with `Z`.
  pool = guardPgPool(
    new pg.Pool({ connectionString: env.db.url, max: 2, options: '-c TimeZone=Asia/Kolkata', types }),
  );
});
afterAll(async () => {
  await pool?.end();
  await env?.teardown();
});

describe('product timestamps', () => {
  it('are ISO 8601 in UTC with milliseconds, as Date#toISOString prints them, on every read', async () => {
    const repo = createProductsRepository(pool);
    parsed = 0;
    const created = await repo.insert({
      sku: 'ts-1',
      name: 'Timestamp kettle',
      price_amount: 1000,
      currency: 'USD',
      stock: 1,
    });
    expect(created.created_at).toBe(new Date(created.created_at).toISOString());
    await pool.query(
      `UPDATE catalog.products SET created_at = '2026-01-02 03:04:05.678901+00',
              updated_at = '2026-12-31 23:59:59.999999-05' WHERE id = $1`,
      [created.id],
    );
    const byId = await repo.findById(created.id);
    expect(byId).toMatchObject({
      created_at: '2026-01-02T03:04:05.678Z',
      updated_at: '2027-01-01T04:59:59.999Z',
    });
    const [hit] = await repo.search({ q: 'timestamp kettle', sort: 'relevance', limit: 21 });
    expect(hit?.product).toEqual(byId);
    const updated = await repo.update(created.id, { stock: 2 });
    expect(updated.status === 'updated' && updated.product.created_at).toBe('2026-01-02T03:04:05.678Z');
    // Insert, read, search and update: no timestamp was parsed into a Date to be printed back.
    expect(parsed).toBe(0);
  });
});
