import { createDataClients, type DerivedConfig, type ServiceBootstrap } from '@shop/service-kit';
import { createJwtVerifier, jwtVerifierOptionsFromConfig } from '@shop/service-kit/auth';
import { createHttpClient } from '@shop/service-kit/http-client';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { buildApp, type OrderApp } from './app.js';
import type { OrderConfig } from './config.js';
import { createUserTokenClient } from './modules/orders/user-tokens.grpc.js';

export interface ComposedOrderService extends OrderApp {
  pool: pg.Pool;
  redis: Redis;
}

/**
 * Everything the order service runs on, built from its parsed config: PostgreSQL pool and Redis
 * client (wired into the kit), token verifier (the user service over gRPC when USER_GRPC_URL is set,
 * else the JWKS), the product and payment clients (closed on shutdown)
 * and the app. `main.ts` adds the workers and listens; integration tests compose the same service
 * from a test environment.
 */
export function composeOrderService(
  { config, kit }: Pick<ServiceBootstrap<OrderConfig & DerivedConfig>, 'config' | 'kit'>,
  version: string,
): ComposedOrderService {
  const { pool, redis } = createDataClients(kit, config);
  // Fault flag orderReadinessFailure: readiness 503 (the pod leaves the Service), liveness stays 200.
  kit.readiness.addCheck('fault-flags', async () => {
    if (await kit.flags.get('orderReadinessFailure')) throw new Error('orderReadinessFailure flag is on');
  });
  const upstream = (name: string, baseUrl: string) =>
    createHttpClient(kit, {
      name,
      baseUrl,
      timeoutMs: config.SERVICE_TIMEOUT,
      retries: config.SERVICE_RETRY,
      headers: { 'X-Internal-Token': config.INTERNAL_API_TOKEN },
      breaker: { resetTimeoutMs: config.CIRCUIT_BREAKER_RESET_MS },
    });
  const productClient = upstream('product', config.PRODUCT_SERVICE_URL);
  const paymentClient = upstream('payment', config.PAYMENT_SERVICE_URL);
  kit.onShutdown('http clients', () => {
    productClient.close();
    paymentClient.close();
  });
  const userTokens = config.USER_GRPC_URL
    ? createUserTokenClient(kit, {
        target: config.USER_GRPC_URL,
        deadlineMs: config.USER_GRPC_TIMEOUT,
        retries: config.SERVICE_RETRY,
      })
    : undefined;
  if (userTokens) kit.onShutdown('user grpc client', () => userTokens.close());
  const built = buildApp({
    kit,
    pool,
    redis,
    verifier: userTokens ?? createJwtVerifier(jwtVerifierOptionsFromConfig(config)),
    productClient,
    paymentClient,
    paymentTtlSeconds: config.ORDER_PAYMENT_TTL_SECONDS,
    reservationMarginSeconds: config.RESERVATION_TTL_MARGIN_SECONDS,
    idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
    version,
  });
  return { ...built, pool, redis };
}
