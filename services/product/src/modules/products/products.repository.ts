import { createHash } from 'node:crypto';
import type pg from 'pg';

export type ProductStatus = 'active' | 'inactive';

/** The sort orders search knows (the API's `sort`, `SORTS` in products.schemas.ts, must be one of them). */
export type ProductSort = 'relevance' | 'newest' | 'price_asc' | 'price_desc' | 'name_asc';

/** A product as stored and as the API (and the cache) carries it. */
export interface Product {
  id: number;
  sku: string;
  name: string;
  description: string;
  category_id: number | null;
  price_amount: number;
  currency: string;
  stock: number;
  status: ProductStatus;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface NewProduct {
  sku: string;
  name: string;
  description?: string | undefined;
  category_id?: number | null | undefined;
  price_amount: number;
  currency: string;
  stock?: number | undefined;
  status?: ProductStatus | undefined;
}

export type ProductChanges = Partial<NewProduct>;

/** Position after which the next page starts: the sort key as PostgreSQL printed it, and the id. */
export interface Keyset {
  key: string;
  id: number;
}

export interface SearchFilter {
  q?: string | undefined;
  categoryId?: number | undefined;
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  currency?: string | undefined;
  sort: ProductSort;
  after?: Keyset | undefined;
  limit: number;
}

export class ProductConstraintError extends Error {
  override name = 'ProductConstraintError';
  constructor(readonly kind: 'duplicate_sku' | 'unknown_category') {
    super(kind);
  }
}

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  category_id: string | null;
  price_amount: string;
  currency: string;
  stock: number;
  status: ProductStatus;
  version: number;
  created_at: string;
  updated_at: string;
}

/**
 * A timestamp as the API sends it, printed by PostgreSQL: ISO 8601 in UTC with milliseconds and `Z`,
 * what `Date#toISOString` prints. A page of search results had pg parse 42 timestamps into Dates
 * (postgres-date's regular expressions) only for toProduct to print them back.
 */
const isoText = (column: 'created_at' | 'updated_at') =>
  `to_char(p.${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column}`;

const COLUMNS = `p.id, p.sku, p.name, p.description, p.category_id, p.price_amount, p.currency, p.stock, p.status, p.version, ${isoText('created_at')}, ${isoText('updated_at')}`;

// bigint columns arrive as strings from pg; ids and amounts stay far below 2^53.
export const toProduct = (row: ProductRow): Product => ({
  id: Number(row.id),
  sku: row.sku,
  name: row.name,
  description: row.description,
  category_id: row.category_id === null ? null : Number(row.category_id),
  price_amount: Number(row.price_amount),
  currency: row.currency,
  stock: row.stock,
  status: row.status,
  version: row.version,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

function constraintError(err: unknown): ProductConstraintError | undefined {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'products_sku_key')
    return new ProductConstraintError('duplicate_sku');
  if (e.code === '23503') return new ProductConstraintError('unknown_category');
  return undefined;
}

// The writable columns, by API field name; UPDATE statements are built only from this list.
const WRITABLE: Record<keyof NewProduct, string> = {
  sku: 'sku',
  name: 'name',
  description: 'description',
  category_id: 'category_id',
  price_amount: 'price_amount',
  currency: 'currency',
  stock: 'stock',
  status: 'status',
};

export type UpdateOutcome =
  | { status: 'updated'; product: Product }
  | { status: 'missing' }
  | { status: 'stale' };

export interface ProductsRepository {
  findById(id: number): Promise<Product | undefined>;
  insert(product: NewProduct): Promise<Product>;
  /** Applies `changes` only if the stored version is one of `expectedVersions` (undefined = any). */
  update(id: number, changes: ProductChanges, expectedVersions?: number[]): Promise<UpdateOutcome>;
  softDelete(id: number, expectedVersions?: number[]): Promise<UpdateOutcome>;
  search(filter: SearchFilter): Promise<Array<{ product: Product; sortKey: string }>>;
}

/** Statement names by query text: hashed once, not on every search. */
const statementNames = new Map<string, string>();

/** A statement name unique to the SQL text (pg refuses one name for two texts on a connection). */
export function statementName(prefix: string, text: string): string {
  const key = `${prefix}\0${text}`;
  let name = statementNames.get(key);
  if (name === undefined) {
    name = `${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    // The shapes are bounded (see search); the bound only guards against a future unbounded caller.
    if (statementNames.size >= 1000) statementNames.clear();
    statementNames.set(key, name);
  }
  return name;
}

export function createProductsRepository(pool: pg.Pool): ProductsRepository {
  async function outcomeOfNoRow(id: number): Promise<UpdateOutcome> {
    const { rowCount } = await pool.query(
      'SELECT 1 FROM catalog.products WHERE id = $1 AND deleted_at IS NULL',
      [id],
    );
    return rowCount ? { status: 'stale' } : { status: 'missing' };
  }

  return {
    async findById(id) {
      const { rows } = await pool.query<ProductRow>({
        name: 'product_by_id',
        text: `SELECT ${COLUMNS} FROM catalog.products p WHERE p.id = $1 AND p.deleted_at IS NULL`,
        values: [id],
      });
      return rows[0] ? toProduct(rows[0]) : undefined;
    },

    async insert(product) {
      try {
        const { rows } = await pool.query<ProductRow>(
          `INSERT INTO catalog.products AS p (sku, name, description, category_id, price_amount, currency, stock, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
          [
            product.sku,
            product.name,
            product.description ?? '',
            product.category_id ?? null,
            product.price_amount,
            product.currency,
            product.stock ?? 0,
            product.status ?? 'active',
          ],
        );
        return toProduct(rows[0]!);
      } catch (err) {
        throw constraintError(err) ?? err;
      }
    },

    async update(id, changes, expectedVersions) {
      const params: unknown[] = [id];
      const sets: string[] = [];
      for (const [field, column] of Object.entries(WRITABLE)) {
        const value = changes[field as keyof NewProduct];
        if (value === undefined) continue;
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      }
      params.push(expectedVersions ?? null);
      const versionParam = `$${params.length}`;
      try {
        const { rows } = await pool.query<ProductRow>(
          `UPDATE catalog.products AS p SET ${[...sets, 'version = p.version + 1', 'updated_at = now()'].join(', ')}
           WHERE p.id = $1 AND p.deleted_at IS NULL AND (${versionParam}::integer[] IS NULL OR p.version = ANY(${versionParam}::integer[]))
           RETURNING ${COLUMNS}`,
          params,
        );
        return rows[0] ? { status: 'updated', product: toProduct(rows[0]) } : outcomeOfNoRow(id);
      } catch (err) {
        throw constraintError(err) ?? err;
      }
    },

    async softDelete(id, expectedVersions) {
      // Soft delete: reservations keep pointing at the row, and the partial unique index frees the SKU.
      const { rows } = await pool.query<ProductRow>(
        `UPDATE catalog.products AS p
         SET deleted_at = now(), version = p.version + 1, updated_at = now()
         WHERE p.id = $1 AND p.deleted_at IS NULL AND ($2::integer[] IS NULL OR p.version = ANY($2::integer[]))
         RETURNING ${COLUMNS}`,
        [id, expectedVersions ?? null],
      );
      return rows[0] ? { status: 'updated', product: toProduct(rows[0]) } : outcomeOfNoRow(id);
    },

    async search(filter) {
      const params: unknown[] = [];
      const param = (value: unknown) => {
        params.push(value);
        return `$${params.length}`;
      };
      const from = ['catalog.products p'];
      const where = ['p.deleted_at IS NULL', "p.status = 'active'"];
      let rank = '0::real';
      if (filter.q !== undefined) {
        // websearch_to_tsquery never raises on user input (quotes, operators, SQL fragments).
        from.push(`websearch_to_tsquery('english', ${param(filter.q)}) AS query`);
        where.push('p.search @@ query');
        rank = 'ts_rank(p.search, query)';
      }
      if (filter.categoryId !== undefined) where.push(`p.category_id = ${param(filter.categoryId)}`);
      if (filter.minPrice !== undefined) where.push(`p.price_amount >= ${param(filter.minPrice)}`);
      if (filter.maxPrice !== undefined) where.push(`p.price_amount <= ${param(filter.maxPrice)}`);
      if (filter.currency !== undefined) where.push(`p.currency = ${param(filter.currency)}`);

      // Each sort is a total order (id breaks ties), so keyset pagination never skips or repeats rows.
      const sorts: Record<ProductSort, { key: string; order: string; after: (k: Keyset) => string }> = {
        newest: { key: 'p.id::text', order: 'p.id DESC', after: (k) => `p.id < ${param(k.id)}` },
        price_asc: {
          key: 'p.price_amount::text',
          order: 'p.price_amount ASC, p.id ASC',
          after: (k) => `(p.price_amount, p.id) > (${param(k.key)}::bigint, ${param(k.id)}::bigint)`,
        },
        price_desc: {
          key: 'p.price_amount::text',
          order: 'p.price_amount DESC, p.id DESC',
          after: (k) => `(p.price_amount, p.id) < (${param(k.key)}::bigint, ${param(k.id)}::bigint)`,
        },
        name_asc: {
          key: 'p.name',
          order: 'p.name ASC, p.id ASC',
          after: (k) => `(p.name, p.id) > (${param(k.key)}::text, ${param(k.id)}::bigint)`,
        },
        relevance: {
          key: `${rank}::text`,
          order: `${rank} DESC, p.id DESC`,
          after: (k) => `(${rank}, p.id) < (${param(k.key)}::real, ${param(k.id)}::bigint)`,
        },
      };
      const sort = sorts[filter.sort];
      if (filter.after) where.push(sort.after(filter.after));
      const text = `SELECT ${COLUMNS}, ${sort.key} AS sort_key FROM ${from.join(', ')}
         WHERE ${where.join(' AND ')} ORDER BY ${sort.order} LIMIT ${param(filter.limit)}`;
      // A named (prepared) statement per query shape: parsed and planned once per connection instead of
      // on every search. The shapes are bounded (filters × sorts × cursor, a few hundred at most); values
      // are always parameters. Through PgBouncer in transaction mode this needs protocol-level prepared
      // statements (PgBouncer >= 1.22: max_prepared_statements, 200 by default — README "Performance").
      const { rows } = await pool.query<ProductRow & { sort_key: string }>({
        name: statementName('product_search', text),
        text,
        values: params,
      });
      return rows.map((row) => ({ product: toProduct(row), sortKey: row.sort_key }));
    },
  };
}
