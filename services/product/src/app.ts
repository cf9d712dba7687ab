import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ServiceKit } from '@shop/service-kit';
import { internalTokenGuard, type JwtVerifier } from '@shop/service-kit/auth';
import { registerOpenApi, serviceKitPlugin } from '@shop/service-kit/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerProductFaults } from './http/fault-flags.js';
import { categoriesRoutes } from './modules/categories/categories.routes.js';
import type { CategoriesService } from './modules/categories/categories.service.js';
import { inventoryRoutes } from './modules/inventory/inventory.routes.js';
import type { InventoryService } from './modules/inventory/inventory.service.js';
import { productsRoutes } from './modules/products/products.routes.js';
import type { ProductsService } from './modules/products/products.service.js';

export interface ProductAppDeps {
  kit: ServiceKit;
  products: ProductsService;
  categories: CategoriesService;
  inventory: InventoryService;
  /** Verifies access tokens against the user service's JWKS. */
  verifier: JwtVerifier;
  /** INTERNAL_API_TOKEN; without it the internal routes refuse every call. */
  internalToken: string | undefined;
  version: string;
}

/** Builds the product service's fastify instance and the routes of its modules (no listen, no environment). */
export async function buildApp(deps: ProductAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.kit.logger as FastifyBaseLogger,
    // X-Forwarded-For is not trusted: nothing in this service depends on the client address.
    trustProxy: false,
    bodyLimit: 256 * 1024,
    // Unknown fields are rejected (id/version can never be written), not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await registerOpenApi(app, {
    title: 'Shop product service',
    version: deps.version,
    description: 'Catalog, full-text search, cached product reads and inventory reservations (internal).',
  });
  // Also rejects non-finite numbers (`1e400` → Infinity) in params, query and body with 400.
  await app.register(serviceKitPlugin, { kit: deps.kit, validateResponses: true });

  registerProductFaults(app, deps.kit);
  await app.register(categoriesRoutes, { categories: deps.categories, verifier: deps.verifier });
  await app.register(productsRoutes, { products: deps.products, verifier: deps.verifier });
  await app.register(inventoryRoutes, {
    inventory: deps.inventory,
    guard: internalTokenGuard(deps.internalToken),
  });
  return app;
}
