import { stopAllServiceProcesses } from '@shop/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { redactConfig } from '../src/config/config.js';
import { baseConfigSchema, ConfigError, loadConfig } from '../src/index.js';
import { adapters, startFixture } from './helpers/fixture-process.js';

afterAll(async () => {
  await stopAllServiceProcesses();
});

const password = 'S3cureP@ssw0rd!2026';

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('accepts the seed ConfigMap values and derives the database and Redis URLs from the discrete keys', () => {
    const config = loadConfig(baseConfigSchema, {
      SERVICE_NAME: 'user-service',
      SERVICE_PORT: '8080',
      DB_HOST: 'postgresql.data.svc.cluster.local',
      DB_PORT: '5432',
      DB_NAME: 'ecommerce',
      DB_USERNAME: 'ecommerce_app',
      DB_PASSWORD: password,
      DB_POOL_SIZE: '20',
      DB_CONNECTION_TIMEOUT: '30',
      REDIS_HOST: 'redis.data.svc.cluster.local',
      REDIS_PORT: '6379',
      REDIS_DB: '0',
      REDIS_PASSWORD: 'R3disS3cret!2026',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      SERVICE_TIMEOUT: '10s',
      SERVICE_RETRY: '3',
    });
    expect(config).toMatchObject({
      SERVICE_PORT: 8080,
      DB_POOL_SIZE: 20,
      DB_CONNECTION_TIMEOUT: 30_000,
      SERVICE_TIMEOUT: 10_000,
    });
    const db = new URL(config.databaseUrl);
    expect([
      db.hostname,
      db.port,
      db.pathname,
      decodeURIComponent(db.username),
      decodeURIComponent(db.password),
    ]).toEqual(['postgresql.data.svc.cluster.local', '5432', '/ecommerce', 'ecommerce_app', password]);
    const redis = new URL(config.redisUrl);
    expect([redis.hostname, redis.port, redis.pathname, decodeURIComponent(redis.password)]).toEqual([
      'redis.data.svc.cluster.local',
      '6379',
      '/0',
      'R3disS3cret!2026',
    ]);
  });

  it('prefers DATABASE_URL and REDIS_URL over the discrete keys', () => {
    const config = loadConfig(baseConfigSchema, {
      DATABASE_URL: 'postgres://app@db:5432/shop',
      DB_HOST: 'ignored',
      REDIS_URL: 'redis://cache:6380/2',
    });
    expect(config.databaseUrl).toBe('postgres://app@db:5432/shop');
    expect(config.redisUrl).toBe('redis://cache:6380/2');
  });

  it('treats empty variables as unset so defaults apply', () => {
    const config = loadConfig(baseConfigSchema, { DB_PASSWORD: '', SERVICE_PORT: '', LOG_FORMAT: '' });
    expect(config.DB_PASSWORD).toBeUndefined();
    expect(config.SERVICE_PORT).toBe(8080);
    expect(config.LOG_FORMAT).toBe('json');
  });

  it('throws one error listing every invalid key without any secret value', () => {
    const err = configErrorOf(() =>
      loadConfig(baseConfigSchema.extend({ USER_SERVICE_URL: z.url() }), {
        DB_PORT: 'five',
        LOG_LEVEL: 'loud',
        SERVICE_TIMEOUT: 'soon',
        DB_PASSWORD: password,
        DATABASE_URL: `mysql://app:${password}@db/shop`,
        USER_SERVICE_URL: 'not a url',
      }),
    );
    expect(err.keys).toEqual(['DATABASE_URL', 'DB_PORT', 'LOG_LEVEL', 'SERVICE_TIMEOUT', 'USER_SERVICE_URL']);
    for (const key of err.keys) expect(err.message).toContain(`${key}:`);
    expect(err.message).toMatch(/^Invalid configuration \(5 invalid keys\)/);
    expect(err.message).not.toContain(password);
    expect(err.message).not.toContain('S3cure');
  });

  it('lets services extend the base schema with their own required keys', () => {
    const schema = baseConfigSchema.extend({ PAYMENT_GATEWAY_KEY: z.string().min(16) });
    const err = configErrorOf(() => loadConfig(schema, { PAYMENT_GATEWAY_KEY: 'short-secret' }));
    expect(err.keys).toEqual(['PAYMENT_GATEWAY_KEY']);
    expect(err.message).not.toContain('short-secret');
    expect(loadConfig(schema, { PAYMENT_GATEWAY_KEY: 'k'.repeat(32) }).PAYMENT_GATEWAY_KEY).toHaveLength(32);
  });

  it('redacts secrets and URL passwords for logging', () => {
    const config = loadConfig(baseConfigSchema, { DB_PASSWORD: password, INTERNAL_API_TOKEN: 'tok-123456' });
    const safe = JSON.stringify(redactConfig(config));
    expect(safe).not.toContain(password);
    expect(safe).not.toContain(encodeURIComponent(password));
    expect(safe).not.toContain('tok-123456');
    expect(safe).toContain('"DB_HOST":"127.0.0.1"');
  });

  it('hides secret keys by name suffix but shows settings that merely mention TOKEN or KEY', () => {
    const secrets = {
      DB_PASSWORD: 'p4ss-db',
      ADMIN_PASSWORD: 'p4ss-admin',
      INTERNAL_API_TOKEN: 'tok-internal',
      PAYMENT_GATEWAY_KEY: 'gw-key',
      JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----',
      WEBHOOK_SECRET: 'wh-secret',
    };
    const settings = {
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 604_800,
      REDIS_KEY_PREFIX: 'shop:',
      JWT_KEY_ID: 'key-2026-01',
      JWT_PUBLIC_KEYS: '{"keys":[]}',
      TOKEN_ISSUER: 'shop-user-service',
    };
    const safe = redactConfig({ ...secrets, ...settings });
    for (const key of Object.keys(secrets)) expect(safe[key], key).toBe('[redacted]');
    expect(safe).toMatchObject(settings);
  });
});

describe.each(adapters)('configuration of a real process (%s adapter)', (adapter) => {
  it('refuses to start with a bad environment, naming every invalid key and never the password', async () => {
    const app = await startFixture(
      adapter,
      {
        DB_PORT: 'abc',
        SERVICE_RETRY: '-1',
        LOG_FORMAT: 'xml',
        DB_PASSWORD: password,
        REDIS_URL: `http://:${password}@x`,
      },
      { healthPath: false },
    );
    const exit = await app.waitForExit();
    expect(exit.code).not.toBe(0);
    const output = app.output();
    for (const key of ['DB_PORT', 'SERVICE_RETRY', 'LOG_FORMAT', 'REDIS_URL'])
      expect(output).toContain(`${key}:`);
    expect(output).toContain('Invalid configuration (4 invalid keys)');
    expect(output).not.toContain(password);
  });
});
