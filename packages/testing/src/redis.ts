import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** A unique Redis key prefix for one test file; `cleanup()` deletes only keys under it. */
export interface TestRedisPrefix {
  prefix: string;
  url: string;
  cleanup(): Promise<void>;
}

export function createTestRedisPrefix(label = 'test'): TestRedisPrefix {
  const prefix = `shoptest:${label}:${randomBytes(4).toString('hex')}:`;
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  return {
    prefix,
    url,
    async cleanup() {
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.unlink(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}
