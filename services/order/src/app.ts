import http from 'node:http';
import type { ServiceKit } from '@shop/service-kit';
import type { JwtVerifier } from '@shop/service-kit/auth';
import { mountErrorHandlers, mountServiceKit } from '@shop/service-kit/express';
import express, { type Express } from 'express';
import { mountOpenApi } from './http/openapi.js';
import type { IdempotencyStore } from './modules/orders/idempotency.store.js';
import { ordersRouter } from './modules/orders/orders.routes.js';
import type { OrdersService } from './modules/orders/orders.service.js';

export interface OrderAppDeps {
  kit: ServiceKit;
  verifier: JwtVerifier;
  orders: OrdersService;
  idempotency: IdempotencyStore;
  version: string;
}

export interface OrderApp {
  app: Express;
  server: http.Server;
}

/** The order service's express app: the kit's middleware, the orders routes, the kit's error handlers. */
export function buildApp(deps: OrderAppDeps): OrderApp {
  const app = express();
  // Behind the gateway/ingress; the client address only matters for logs here.
  app.set('trust proxy', true);
  mountServiceKit(app, deps.kit, { bodyLimit: '64kb' });
  mountOpenApi(app, deps.version ?? '0.1.0');
  app.use(ordersRouter({ orders: deps.orders, verifier: deps.verifier, idempotency: deps.idempotency }));
  mountErrorHandlers(app, deps.kit);
  return { app, server: http.createServer(app) };
}
