export { createTestDatabase, type TestDatabase } from './database.js';
export {
  createTestEnvironment,
  type TestEnvironment,
  type TestEnvironmentOptions,
  type TestEnvironmentWithTokens,
  waitForRedisReady,
} from './environment.js';
export { eventually } from './eventually.js';
export { type LoopbackKit, type LoopbackService, listenOnLoopback } from './loopback.js';
export {
  byMessage,
  type DependencyProxies,
  pollUntil,
  proxyDependencies,
  type ServiceBehindProxies,
  startServiceBehindProxies,
} from './outage.js';
export { getFreePort } from './ports.js';
export { createTestRedisPrefix, type TestRedisPrefix } from './redis.js';
export {
  type ProcessExit,
  type ServiceProcess,
  type ServiceProcessOptions,
  startServiceProcess,
  stopAllServiceProcesses,
} from './service-process.js';
export {
  assertShopServicesBuilt,
  imageEnv,
  migrateShop,
  prepareShopStack,
  SHOP_SERVICES,
  type ShopImageCommand,
  type ShopServiceName,
  type ShopStack,
  type ShopStackOptions,
  seedShopCatalog,
  shopImageCommand,
  shopServiceDir,
  startShopServices,
} from './shop-stack.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export {
  createTestTokenIssuer,
  type SignOptions,
  type TestTokenIssuer,
  type TestTokenIssuerOptions,
} from './token-issuer.js';
export { grpcFailure, type UserGrpcClient, userGrpcClient } from './user-grpc.js';
