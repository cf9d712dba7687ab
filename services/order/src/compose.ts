import type http from 'node:http';
import {
  type BackgroundWorker,
  createDataClients,
  type DerivedConfig,
  type ServiceBootstrap,
} from '@shop/service-kit';
import { createJwtVerifier, jwtVerifierOptionsFromConfig } from '@shop/service-kit/auth';
import { createHttpClient } from '@shop/service-kit/http-client';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { buildApp } from './app.js';
import type { OrderConfig } from './config.js';
import { createIdempotencyStore } from './modules/orders/idempotency.store.js';
import { createOrdersRepository } from './modules/orders/orders.repository.js';
import { createOrdersService, type OrdersService } from './modules/orders/orders.service.js';
import { createPaymentClient } from './modules/orders/payment.client.js';
import { createProductClient } from './modules/orders/product.client.js';
import { createUserTokenClient } from './modules/orders/user-tokens.grpc.js';
import { createWorkers } from './workers.js';

type OrderBootstrap = Pick<ServiceBootstrap<OrderConfig & DerivedConfig>, 'config' | 'kit'>;

export interface ComposedOrderService {
  server: http.Server;
  app: Express;
  workers: BackgroundWorker[];
  pool: pg.Pool;
  redis: Redis;
  orders: OrdersService;
}

/**
 * Everything the order service runs on, built from its parsed config: config → clients (PostgreSQL
 * pool and Redis wired into the kit; the product and payment HTTP clients; the token verifier: the
 * user service over gRPC when USER_GRPC_URL is set, else the JWKS) → modules (repository, service,
 * idempotency store) → workers → app. `main.ts` starts the workers and listens; the test harness
 * composes the same service from a test environment.
 */
export async function composeOrderService(
  { config, kit }: OrderBootstrap,
  version: string,
): Promise<ComposedOrderService> {
  const { pool, redis } = createDataClients(kit, config);
  // Fault flag orderReadinessFailure: readiness 503 (the pod leaves the Service), liveness stays 200.
  kit.readiness.addCheck('fault-flags', async () => {
    if (await kit.flags.get('orderReadinessFailure')) throw new Error('orderReadinessFailure flag is on');
  });
  const { products, payments, verifier } = createUpstreamClients({ config, kit });

  const orders = createOrdersService({
    repository: createOrdersRepository(pool),
    products,
    payments,
    paymentTtlSeconds: config.ORDER_PAYMENT_TTL_SECONDS,
    reservationMarginSeconds: config.RESERVATION_TTL_MARGIN_SECONDS,
    logger: kit.logger,
    now: () => new Date(),
  });
  const idempotency = createIdempotencyStore(redis, config.IDEMPOTENCY_TTL_SECONDS);

  const workers = createWorkers({
    kit,
    pool,
    redis,
    orders,
    outboxPollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    outboxListen: config.OUTBOX_LISTEN,
    sweepIntervalMs: config.ORDER_SWEEP_INTERVAL_MS,
    events: {
      claimIdleMs: config.EVENTS_CLAIM_IDLE_MS,
      reclaimIntervalMs: config.EVENTS_RECLAIM_INTERVAL_MS,
      maxDeliveries: config.EVENTS_MAX_DELIVERIES,
    },
  });

  const { app, server } = buildApp({ kit, verifier, orders, idempotency, version });
  return { server, app, workers, pool, redis, orders };
}

/** The product and payment clients and the token verifier, each closed on shutdown. */
function createUpstreamClients({ config, kit }: OrderBootstrap) {
  const upstream = (name: string, baseUrl: string) =>
    createHttpClient(kit, {
      name,
      baseUrl,
      timeoutMs: config.SERVICE_TIMEOUT,
      retries: config.SERVICE_RETRY,
      headers: { 'X-Internal-Token': config.INTERNAL_API_TOKEN },
      breaker: { resetTimeoutMs: config.CIRCUIT_BREAKER_RESET_MS },
    });
  const productHttp = upstream('product', config.PRODUCT_SERVICE_URL);
  const paymentHttp = upstream('payment', config.PAYMENT_SERVICE_URL);
  kit.onShutdown('http clients', () => {
    productHttp.close();
    paymentHttp.close();
  });
  const userTokens = config.USER_GRPC_URL
    ? createUserTokenClient(kit, {
        target: config.USER_GRPC_URL,
        deadlineMs: config.USER_GRPC_TIMEOUT,
        retries: config.SERVICE_RETRY,
      })
    : undefined;
  if (userTokens) kit.onShutdown('user grpc client', () => userTokens.close());
  return {
    products: createProductClient(productHttp),
    payments: createPaymentClient(paymentHttp),
    verifier: userTokens ?? createJwtVerifier(jwtVerifierOptionsFromConfig(config)),
  };
}
