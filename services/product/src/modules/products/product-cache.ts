import { createHash } from 'node:crypto';
import type { ServiceKit } from '@shop/service-kit';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Cache-aside for single products in Redis.
 *
 * - Misses are loaded once per key and process (concurrent misses share one database query).
 * - A write bumps a per-key generation and deletes the value; a loader only stores its result if
 *   the generation it saw before reading the database is still current, so a slow reader can never
 *   put back data older than a concurrent update.
 * - Redis is optional on this path: when it is not connected, or a command takes longer than
 *   `timeoutMs`, reads go straight to PostgreSQL and writes skip the cache (TTL bounds staleness).
 *
 * Search pages are cached the same way under one catalogue generation: every invalidation (a product
 * write, a reservation, a release, a restock, an expiry) bumps it in the same round trip, and a page
 * counts as a hit only if it was stored under the current generation. So a page never shows stock or
 * prices older than the last write the service made; during heavy checkout most pages miss.
 */
/** A product as the API sends it: its ETag and the JSON text the route's serializer printed. */
export interface PrintedProduct {
  etag: string;
  body: string;
}

export interface ProductCache {
  /**
   * One product as sent (`load` reads and prints it when it is not cached); undefined when it does
   * not exist. A hit is returned as stored: no parse, no validation, no serializer.
   */
  get(id: number, load: () => Promise<PrintedProduct | undefined>): Promise<PrintedProduct | undefined>;
  /**
   * A search page as the JSON text the API sends, keyed by the canonical form of the search; `load`
   * runs the search and prints the page. Pages are not cached when `searchTtlSeconds` is 0.
   */
  page(key: string, load: () => Promise<string>): Promise<string>;
  invalidate(ids: number[]): Promise<void>;
}

export interface ProductCacheOptions {
  redis: Redis | undefined;
  kit: ServiceKit;
  ttlSeconds: number;
  /** Lifetime of a cached search page (a backstop: writes invalidate at once); 0 turns the page cache off. */
  searchTtlSeconds?: number;
  /** Absent products are remembered briefly so floods of unknown ids do not all reach the database. */
  missingTtlSeconds?: number;
  timeoutMs?: number;
  logger: Pick<Logger, 'warn'>;
}

// v2 stores `<generation>\n<etag>\n<json>` (the product as sent); v1 (releases before it) stored the
// product as JSON. Both are deleted on every write, so neither version serves what the other changed
// during a rolling deploy; a v2 value also carries the generation it was stored under and counts only
// while that is current (the generation is bumped by every version's writes).
const valueKey = (id: number) => `product:v2:${id}`;
const legacyValueKey = (id: number) => `product:v1:${id}`;
const generationKey = (id: number) => `product:gen:${id}`;
const pageKey = (key: string) => `product:search:v1:${createHash('sha1').update(key).digest('base64url')}`;
/** The catalogue generation: bumped by every invalidation, embedded in every stored search page. */
const CATALOGUE_GENERATION = 'product:search:gen';
/** The etag line of an id known not to exist (a real ETag always starts with a quote). */
const MISSING = 'missing';
const GENERATION_TTL_SECONDS = 86_400;

// Store only if nobody invalidated the key since the loader read the generation.
const SET_IF_GENERATION = `
local current = redis.call('GET', KEYS[2]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
`;

class CacheTimeout extends Error {}

/** The rest of a stored `<generation>\n<rest>` value if it was stored under `generation`, else undefined. */
function storedUnder(value: string, generation: string): string | undefined {
  const cut = value.indexOf('\n');
  return cut === generation.length && value.startsWith(generation) ? value.slice(cut + 1) : undefined;
}

/** Concurrent callers of one key share one pending read (one database load per key and process). */
function shared<K, V>(pending: Map<K, Promise<V>>, key: K, read: () => Promise<V>): Promise<V> {
  const running = pending.get(key);
  if (running) return running;
  const promise = read().finally(() => {
    if (pending.get(key) === promise) pending.delete(key);
  });
  pending.set(key, promise);
  return promise;
}

export function createProductCache(options: ProductCacheOptions): ProductCache {
  const { redis, kit, logger } = options;
  const timeoutMs = options.timeoutMs ?? 100;
  const missingTtl = options.missingTtlSeconds ?? 30;
  const searchTtl = options.searchTtlSeconds ?? 0;
  const inflight = new Map<number, Promise<PrintedProduct | undefined>>();
  const pagesInflight = new Map<string, Promise<string>>();

  const requests = kit.metrics.counter({
    name: 'product_cache_requests_total',
    help: 'Product cache lookups by result (hit, miss, bypass = Redis unavailable, error)',
    labelNames: ['result'],
  });
  const pageRequests = kit.metrics.counter({
    name: 'product_search_cache_requests_total',
    help: 'Search page cache lookups by result (hit, miss, bypass = Redis unavailable, error)',
    labelNames: ['result'],
  });
  const loads = kit.metrics.counter({
    name: 'product_cache_loads_total',
    help: 'Database loads performed to fill the product cache',
  });

  const usable = () => redis !== undefined && redis.status === 'ready';

  // Bounded wait: a hung Redis must cost a read at most `timeoutMs`, never an error.
  async function withTimeout<T>(op: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        op,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new CacheTimeout('redis timeout')), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  let lastWarn = 0;
  const warn = (err: unknown, op: string) => {
    // One line per 10 s is enough to see an outage without flooding the log.
    if (Date.now() - lastWarn > 10_000) {
      lastWarn = Date.now();
      logger.warn({ err, op }, 'product cache unavailable; using PostgreSQL');
    }
  };

  async function readThrough(id: number, load: () => Promise<PrintedProduct | undefined>) {
    let generation: string | undefined;
    if (usable()) {
      try {
        if (await kit.flags.get('productCacheFailure')) {
          throw new Error('product cache read failed (productCacheFailure flag)');
        }
        const [cached, gen] = await withTimeout(redis!.mget(valueKey(id), generationKey(id)));
        generation = gen ?? '';
        const hit = cached ? storedUnder(cached, generation) : undefined;
        if (hit !== undefined) {
          requests.inc({ result: 'hit' });
          const cut = hit.indexOf('\n');
          const etag = cut < 0 ? hit : hit.slice(0, cut);
          return etag === MISSING ? undefined : { etag, body: hit.slice(cut + 1) };
        }
        requests.inc({ result: 'miss' });
      } catch (err) {
        generation = undefined;
        requests.inc({ result: 'error' });
        warn(err, 'get');
      }
    } else {
      requests.inc({ result: 'bypass' });
    }
    loads.inc();
    const product = await load();
    if (generation !== undefined && usable()) {
      const value = `${generation}\n${product ? `${product.etag}\n${product.body}` : MISSING}`;
      const ttl = product ? options.ttlSeconds : missingTtl;
      await withTimeout(
        redis!.eval(SET_IF_GENERATION, 2, valueKey(id), generationKey(id), generation, value, ttl),
      ).catch((err: unknown) => warn(err, 'set'));
    }
    return product;
  }

  // A stored page is `<generation>\n<json>`; it is current only while the generation has not moved.
  async function readPage(key: string, load: () => Promise<string>) {
    const redisKey = pageKey(key);
    let generation: string | undefined;
    if (usable()) {
      try {
        if (await kit.flags.get('productCacheFailure')) {
          throw new Error('search cache read failed (productCacheFailure flag)');
        }
        const [cached, gen] = await withTimeout(redis!.mget(redisKey, CATALOGUE_GENERATION));
        generation = gen ?? '';
        const hit = cached ? storedUnder(cached, generation) : undefined;
        if (hit !== undefined) {
          pageRequests.inc({ result: 'hit' });
          return hit;
        }
        pageRequests.inc({ result: 'miss' });
      } catch (err) {
        generation = undefined;
        pageRequests.inc({ result: 'error' });
        warn(err, 'page get');
      }
    } else {
      pageRequests.inc({ result: 'bypass' });
    }
    const body = await load();
    if (generation !== undefined && usable()) {
      await withTimeout(
        redis!.eval(
          SET_IF_GENERATION,
          2,
          redisKey,
          CATALOGUE_GENERATION,
          generation,
          `${generation}\n${body}`,
          searchTtl,
        ),
      ).catch((err: unknown) => warn(err, 'page set'));
    }
    return body;
  }

  return {
    page(key, load) {
      if (searchTtl <= 0) return load();
      return shared(pagesInflight, key, () => readPage(key, load));
    },
    get(id, load) {
      return shared(inflight, id, () => readThrough(id, load));
    },
    async invalidate(ids) {
      // Readers arriving after a write must not join a load that started before it.
      for (const id of ids) inflight.delete(id);
      if (ids.length === 0) return;
      pagesInflight.clear();
      if (!usable()) return;
      const multi = redis!.multi();
      for (const id of ids) {
        multi
          .incr(generationKey(id))
          .expire(generationKey(id), GENERATION_TTL_SECONDS)
          .del(valueKey(id), legacyValueKey(id));
      }
      // Always, so replicas that cache pages see this write even where this one does not cache.
      multi.incr(CATALOGUE_GENERATION);
      await withTimeout(multi.exec()).catch((err: unknown) => warn(err, 'invalidate'));
    },
  };
}
