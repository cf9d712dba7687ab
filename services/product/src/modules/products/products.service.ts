import type { PrintedProduct, ProductCache } from './product-cache.js';
import {
  ifMatchRequired,
  priceRangeInverted,
  productNotFound,
  skuTaken,
  staleVersion,
  unknownCategory,
} from './products.errors.js';
import {
  type NewProduct,
  type Product,
  type ProductChanges,
  ProductConstraintError,
  type ProductsRepository,
  type UpdateOutcome,
} from './products.repository.js';
import { MAX_PAGE_SIZE, type ProductSort } from './products.schemas.js';
import { decodeCursor, encodeCursor } from './search-cursor.js';

/** Strong ETag of a product version. */
export const etagOf = (product: Pick<Product, 'version'>) => `"v${product.version}"`;

/**
 * The versions an If-Match header accepts: undefined for `*`, otherwise the listed strong ETags
 * (weak or foreign tags match nothing, so they end in 412).
 */
export function versionsFromIfMatch(ifMatch: string | undefined, required: boolean): number[] | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '') {
    if (required) throw ifMatchRequired();
    return undefined;
  }
  if (ifMatch.trim() === '*') return undefined;
  const versions: number[] = [];
  for (const tag of ifMatch.split(',')) {
    const match = /^"v(\d{1,9})"$/.exec(tag.trim());
    if (match) versions.push(Number(match[1]));
  }
  return versions;
}

export interface SearchInput {
  q?: string | undefined;
  category_id?: number | undefined;
  min_price?: number | undefined;
  max_price?: number | undefined;
  currency?: string | undefined;
  sort?: ProductSort | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

/** The body of `GET /api/v1/products` (`ProductPage`). */
export interface ProductPageBody {
  items: Product[];
  next_cursor: string | null;
}

export interface ProductsService {
  /**
   * One product as sent: its ETag and its JSON text, printed by `print` (the route's own serializer,
   * which checks it against the response schema) when it is not cached; cached products are returned
   * as stored. 404 when it does not exist.
   */
  get(id: number, print: (product: Product) => string): Promise<PrintedProduct>;
  create(input: NewProduct): Promise<Product>;
  update(id: number, changes: ProductChanges, ifMatch: string | undefined): Promise<Product>;
  remove(id: number, ifMatch: string | undefined): Promise<void>;
  /**
   * One page of results as JSON text, printed by `print` (the route's own serializer, which checks the
   * page against its response schema) when the page is not cached; cached pages are returned as stored.
   */
  search(input: SearchInput, print: (page: ProductPageBody) => string): Promise<string>;
}

function mapConstraint(err: unknown): never {
  if (err instanceof ProductConstraintError)
    throw err.kind === 'duplicate_sku' ? skuTaken() : unknownCategory();
  throw err;
}

export function createProductsService(deps: {
  products: ProductsRepository;
  cache: ProductCache;
}): ProductsService {
  const { products, cache } = deps;

  const settle = async (id: number, outcome: UpdateOutcome) => {
    if (outcome.status === 'missing') throw productNotFound();
    if (outcome.status === 'stale') throw staleVersion();
    await cache.invalidate([id]);
    return outcome.product;
  };

  return {
    async get(id, print) {
      const product = await cache.get(id, async () => {
        const row = await products.findById(id);
        return row && { etag: etagOf(row), body: print(row) };
      });
      if (!product) throw productNotFound();
      return product;
    },

    async create(input) {
      const product = await products.insert(input).catch(mapConstraint);
      // A negative cache entry for this id may exist from an earlier lookup.
      await cache.invalidate([product.id]);
      return product;
    },

    async update(id, changes, ifMatch) {
      const versions = versionsFromIfMatch(ifMatch, true);
      const outcome = await products.update(id, changes, versions).catch(mapConstraint);
      return settle(id, outcome);
    },

    async remove(id, ifMatch) {
      await settle(id, await products.softDelete(id, versionsFromIfMatch(ifMatch, false)));
    },

    async search(input, print) {
      if (
        input.min_price !== undefined &&
        input.max_price !== undefined &&
        input.min_price > input.max_price
      ) {
        throw priceRangeInverted();
      }
      // A blank query is no query (websearch_to_tsquery('') would match nothing).
      const q = input.q?.trim() ? input.q : undefined;
      const sort: ProductSort = input.sort ?? (q ? 'relevance' : 'newest');
      const limit = Math.min(input.limit ?? 20, MAX_PAGE_SIZE);
      const filter = {
        q,
        categoryId: input.category_id,
        minPrice: input.min_price,
        maxPrice: input.max_price,
        currency: input.currency,
        sort,
        // Decoded before the cache is asked, so a bad cursor is a 400 whether or not a page is cached.
        after: input.cursor === undefined ? undefined : decodeCursor(input.cursor, sort),
        limit: limit + 1,
      };
      const key = JSON.stringify([
        q ?? null,
        filter.categoryId ?? null,
        filter.minPrice ?? null,
        filter.maxPrice ?? null,
        filter.currency ?? null,
        sort,
        input.cursor ?? null,
        limit,
      ]);
      return cache.page(key, async () => {
        const rows = await products.search(filter);
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return print({
          items: page.map((r) => r.product),
          next_cursor:
            rows.length > limit && last
              ? encodeCursor(sort, { key: last.sortKey, id: last.product.id })
              : null,
        });
      });
    },
  };
}
