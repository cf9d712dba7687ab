import type { Server } from 'node:http';
import {
  type BackgroundWorker,
  createDataClients,
  type DerivedConfig,
  type ServiceBootstrap,
  type ServiceKit,
} from '@shop/service-kit';
import { createJwtVerifier, jwtVerifierOptionsFromConfig } from '@shop/service-kit/auth';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { buildApp } from './app.js';
import type { ProductConfig } from './config.js';
import { createCategoriesRepository } from './modules/categories/categories.repository.js';
import { type CategoriesService, createCategoriesService } from './modules/categories/categories.service.js';
import { createInventoryRepository } from './modules/inventory/inventory.repository.js';
import { createInventoryService, type InventoryService } from './modules/inventory/inventory.service.js';
import { createProductCache, type ProductCache } from './modules/products/product-cache.js';
import { createProductsRepository } from './modules/products/products.repository.js';
import { createProductsService, type ProductsService } from './modules/products/products.service.js';
import { createWorkers } from './workers.js';

/** The product service's domain services, shared by the HTTP app and the background workers. */
export interface ProductModules {
  products: ProductsService;
  categories: CategoriesService;
  inventory: InventoryService;
  cache: ProductCache;
}

export interface ProductModulesDeps {
  kit: ServiceKit;
  pool: pg.Pool;
  /** Cache only: without it (or while it is down) reads go to PostgreSQL. */
  redis?: Redis | undefined;
  /** PRODUCT_CACHE_TTL_SECONDS */
  cacheTtlSeconds: number;
  /** PRODUCT_SEARCH_CACHE_TTL_SECONDS (0 = search pages are not cached) */
  searchCacheTtlSeconds?: number;
  /** RESERVATION_TTL_SECONDS */
  reservationTtlSeconds: number;
  now?: () => Date;
}

/** The repositories (each holding the pool) and the services built on them. */
export function createProductModules(deps: ProductModulesDeps): ProductModules {
  const cache = createProductCache({
    redis: deps.redis,
    kit: deps.kit,
    ttlSeconds: deps.cacheTtlSeconds,
    searchTtlSeconds: deps.searchCacheTtlSeconds ?? 0,
    logger: deps.kit.logger,
  });
  return {
    cache,
    products: createProductsService({ products: createProductsRepository(deps.pool), cache }),
    categories: createCategoriesService({ categories: createCategoriesRepository(deps.pool), cache }),
    inventory: createInventoryService({
      inventory: createInventoryRepository(deps.pool),
      cache,
      defaultTtlSeconds: deps.reservationTtlSeconds,
      flags: deps.kit.flags,
      ...(deps.now ? { now: deps.now } : {}),
    }),
  };
}

/** Seams for in-process tests; `main.ts` passes none. */
export interface ProductComposeOptions {
  /** The clock of reservations (hold times, expiry); tests move it. */
  now?: () => Date;
}

export interface ComposedProductService {
  app: FastifyInstance;
  server: Server;
  workers: BackgroundWorker[];
  pool: pg.Pool;
  redis: Redis;
  modules: ProductModules;
}

/**
 * The product service from its parsed config: PostgreSQL, Redis (a cache here: an outage shows in
 * /readyz detail but keeps the pod ready), the catalog and inventory modules, the sweeper and the
 * order-event consumer as workers, and the fastify app. `main.ts` and the test harness both call it.
 */
export async function composeProductService(
  { config, kit }: Pick<ServiceBootstrap<ProductConfig & DerivedConfig>, 'config' | 'kit'>,
  version: string,
  options: ProductComposeOptions = {},
): Promise<ComposedProductService> {
  if (!config.INTERNAL_API_TOKEN) {
    kit.logger.warn('INTERNAL_API_TOKEN is not set: /internal/v1/* refuses every call');
  }
  const { pool, redis } = createDataClients(kit, config, { redis: { critical: false } });
  const modules = createProductModules({
    kit,
    pool,
    redis,
    cacheTtlSeconds: config.PRODUCT_CACHE_TTL_SECONDS,
    searchCacheTtlSeconds: config.PRODUCT_SEARCH_CACHE_TTL_SECONDS,
    reservationTtlSeconds: config.RESERVATION_TTL_SECONDS,
    ...(options.now ? { now: options.now } : {}),
  });
  const workers = createWorkers({
    kit,
    pool,
    redis,
    inventory: modules.inventory,
    sweepIntervalMs: config.RESERVATION_SWEEP_INTERVAL_MS,
  });
  const app = await buildApp({
    kit,
    products: modules.products,
    categories: modules.categories,
    inventory: modules.inventory,
    // Access tokens against the user service's JWKS (ES256 and EdDSA), fetched within SERVICE_TIMEOUT.
    verifier: createJwtVerifier(jwtVerifierOptionsFromConfig(config)),
    internalToken: config.INTERNAL_API_TOKEN,
    version,
  });
  return { app, server: app.server, workers, pool, redis, modules };
}
