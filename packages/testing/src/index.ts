export { createTestDatabase, type TestDatabase } from './database.js';
export { createTestRedisPrefix, type TestRedisPrefix } from './redis.js';
export { getFreePort } from './ports.js';
