import http from 'node:http';
import { Outbox } from '@shop/events';
import type { ServiceKit } from '@shop/service-kit';
import type { JwtVerifier } from '@shop/service-kit/auth';
import { mountErrorHandlers, mountServiceKit } from '@shop/service-kit/express';
import type { HttpClient } from '@shop/service-kit/http-client';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { mountOpenApi } from './http/openapi.js';
import { IdempotencyStore } from './modules/orders/idempotency.store.js';
import { ordersRouter } from './modules/orders/orders.routes.js';
import { OrdersService } from './modules/orders/orders.service.js';
import { PaymentClient, ProductClient } from './modules/orders/upstreams.js';

export const ORDERS_SCHEMA = 'orders';

export interface OrderAppDeps {
  kit: ServiceKit;
  pool: pg.Pool;
  redis: Redis;
  verifier: JwtVerifier;
  productClient: HttpClient;
  paymentClient: HttpClient;
  paymentTtlSeconds: number;
  reservationMarginSeconds?: number;
  idempotencyTtlSeconds?: number;
  now?: () => Date;
  version?: string;
}

export interface OrderApp {
  app: Express;
  server: http.Server;
  orders: OrdersService;
}

/** Builds the order service's express app and domain service (no listen, no environment). */
export function buildApp(deps: OrderAppDeps): OrderApp {
  const app = express();
  // Behind the gateway/ingress; the client address only matters for logs here.
  app.set('trust proxy', true);
  mountServiceKit(app, deps.kit, { bodyLimit: '64kb' });
  mountOpenApi(app, deps.version ?? '0.1.0');
  const orders = new OrdersService({
    pool: deps.pool,
    outbox: new Outbox(ORDERS_SCHEMA),
    products: new ProductClient(deps.productClient),
    payments: new PaymentClient(deps.paymentClient),
    paymentTtlSeconds: deps.paymentTtlSeconds,
    reservationMarginSeconds: deps.reservationMarginSeconds ?? 300,
    logger: deps.kit.logger,
    ...(deps.now ? { now: deps.now } : {}),
  });
  app.use(
    ordersRouter({
      orders,
      verifier: deps.verifier,
      idempotency: new IdempotencyStore(deps.redis, deps.idempotencyTtlSeconds ?? 86_400),
    }),
  );
  mountErrorHandlers(app, deps.kit);
  return { app, server: http.createServer(app), orders };
}
