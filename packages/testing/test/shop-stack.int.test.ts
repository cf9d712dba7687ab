// The shared part of the e2e and bench stacks, without spawning the services: where they live, the
// environment that wires them, the start order and the clean-up of a failed start.
import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  imageEnv,
  prepareShopStack,
  SHOP_SERVICES,
  shopImageCommand,
  shopServiceDir,
  startShopServices,
} from '../src/index.js';

describe('shop stack', () => {
  it('points at the services of this repository', () => {
    expect(SHOP_SERVICES).toEqual(['user', 'product', 'payment', 'order']);
    for (const name of SHOP_SERVICES) expect(existsSync(`${shopServiceDir(name)}package.json`)).toBe(true);
  });

  it("reads the services' command from the Dockerfile's CMD: node options, imports, entry", () => {
    const command = shopImageCommand();
    expect(command.entry).toMatch(/^dist\/.+\.js$/);
    expect(command.imports).toHaveLength(1);
    expect(command.nodeArgs.every((arg) => arg.startsWith('--') && arg !== '--import')).toBe(true);
    expect(command.nodeArgs).toContain('--max-old-space-size=160');
  });

  it("reads the image's own environment: ENV of the runtime stages, without build-arg values", () => {
    expect(shopImageCommand().env).toMatchObject({
      NODE_ENV: 'production',
      GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576',
    });
    const dockerfile = [
      'FROM node AS build',
      'ENV BUILD_ONLY=1',
      'FROM node AS runtime-base',
      'ENV A=1 \\',
      '    # a comment inside the continuation',
      '    B="two words"',
      'FROM runtime-base AS service',
      'ARG PORT',
      `ENV SERVICE_PORT=\${PORT} C=3`,
    ].join('\n');
    expect(imageEnv(dockerfile)).toEqual({ A: '1', B: 'two words', C: '3' });
  });

  it('wires every service to one database, one key prefix and each other; later layers win', async () => {
    const stack = await prepareShopStack({
      label: 'stack_test',
      internalApiToken: 'token-0123456789abcdef',
      inherit: { PATH: '/bin', LOG_LEVEL: 'inherited' },
      common: { LOG_LEVEL: 'warn', NODE_ENV: 'test' },
      perService: (name): Record<string, string> =>
        name === 'payment' ? { NODE_ENV: 'production', ONLY_PAYMENT: '1' } : {},
    });
    try {
      const payment = stack.env('payment', { EXTRA: 'x' });
      expect(payment).toMatchObject({
        PATH: '/bin',
        DATABASE_URL: stack.db.url,
        REDIS_URL: stack.redis.url,
        REDIS_KEY_PREFIX: stack.redis.prefix,
        INTERNAL_API_TOKEN: 'token-0123456789abcdef',
        SERVICE_HOST: '127.0.0.1',
        USER_SERVICE_URL: `http://127.0.0.1:${stack.ports.user}`,
        PRODUCT_SERVICE_URL: stack.url('product'),
        PAYMENT_SERVICE_URL: stack.url('payment'),
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        ONLY_PAYMENT: '1',
        EXTRA: 'x',
      });
      expect(stack.env('order')).not.toHaveProperty('ONLY_PAYMENT');
      // The image's own environment is the bottom layer.
      expect(stack.env('order').GLIBC_TUNABLES).toBe(shopImageCommand().env.GLIBC_TUNABLES);
      expect(new Set(Object.values(stack.ports)).size).toBe(4);
      const client = new pg.Client({ connectionString: stack.db.url });
      await client.connect();
      await client.end();
    } finally {
      await stack.dispose();
    }
  });

  it('starts in order and stops the started services when one fails', async () => {
    const started: string[] = [];
    const stopped: string[] = [];
    await expect(
      startShopServices(
        async (name) => {
          if (name === 'payment') throw new Error('payment did not start');
          started.push(name);
          return name;
        },
        async (name) => {
          stopped.push(name);
        },
      ),
    ).rejects.toThrow('payment did not start');
    expect(started).toEqual(['user', 'product']);
    expect(stopped.sort()).toEqual(['product', 'user']);
    const all = await startShopServices(
      async (name) => `${name}-proc`,
      async () => {},
    );
    expect(all).toEqual({
      user: 'user-proc',
      product: 'product-proc',
      payment: 'payment-proc',
      order: 'order-proc',
    });
  });
});
