import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pgPoolOptionsFromConfig } from '../src/core/bootstrap.js';
import {
  baseConfigSchema,
  bootstrapService,
  ConfigError,
  createDataClients,
  readPackageVersion,
  redisOptionsFromConfig,
  runMain,
} from '../src/index.js';

const serviceSchema = baseConfigSchema.extend({
  SERVICE_NAME: z.string().default('demo-service'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().default(900),
  WIDGET_API_TOKEN: z.string().optional(),
});

function captureLines() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, destination };
}

describe('bootstrapService', () => {
  it('parses the environment once, logs the redacted config and creates the kit with the shutdown settings', async () => {
    const { lines, destination } = captureLines();
    const signals = new EventEmitter();
    const { config, logger, kit } = bootstrapService({
      name: 'demo',
      version: '1.2.3',
      configSchema: serviceSchema,
      env: {
        DB_PASSWORD: 'db-S3cret!',
        WIDGET_API_TOKEN: 'widget-S3cret!',
        SHUTDOWN_DELAY_MS: '250',
        SHUTDOWN_TIMEOUT_MS: '4000',
        DB_POOL_SIZE: '7',
        REDIS_KEY_PREFIX: 'demo:',
      },
      logDestination: destination,
      kitOptions: { exit: () => {}, flushTelemetryOnShutdown: false, signalSource: signals },
    });
    expect(config.SHUTDOWN_DELAY_MS).toBe(250);
    expect(config.ACCESS_TOKEN_TTL_SECONDS).toBe(900);
    expect(config.databaseUrl).toContain('db-S3cret');
    expect([kit.name, kit.version, kit.logger]).toEqual(['demo', '1.2.3', logger]);
    expect(await kit.registry.metrics()).toContain('service="demo"');
    const started = lines.find((l) => l.msg === 'starting demo service');
    expect(started).toMatchObject({
      service: 'demo-service',
      version: '1.2.3',
      config: { DB_POOL_SIZE: 7, ACCESS_TOKEN_TTL_SECONDS: 900, WIDGET_API_TOKEN: '[redacted]' },
    });
    expect(JSON.stringify(lines)).not.toContain('S3cret');
    // Signal handlers went to the injected source: SIGTERM starts the shutdown sequence.
    expect(signals.listenerCount('SIGTERM')).toBe(1);
  });

  it('leaves signal handlers alone when asked', () => {
    const signals = new EventEmitter();
    bootstrapService({
      name: 'demo',
      version: '0.0.1',
      configSchema: serviceSchema,
      env: { LOG_LEVEL: 'silent' },
      installSignalHandlers: false,
      kitOptions: { signalSource: signals, flushTelemetryOnShutdown: false },
    });
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('in-process: installs no signal handlers, and its shutdown neither exits nor flushes telemetry', async () => {
    const signals = new EventEmitter();
    const { lines, destination } = captureLines();
    const { kit } = bootstrapService({
      name: 'demo',
      version: '0.0.1',
      configSchema: serviceSchema,
      env: { LOG_LEVEL: 'info' },
      inProcess: true,
      logDestination: destination,
      kitOptions: { signalSource: signals },
    });
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    // With the default exit (process.exit) vitest would fail this test: the worker must keep running.
    await kit.shutdown('test finished');
    expect(lines.find((l) => l.msg === 'shutdown complete')).toMatchObject({ failed: false });
    expect(kit.isDraining()).toBe(true);
  });

  it('throws one ConfigError listing every invalid key, base and service keys alike', () => {
    let error: unknown;
    try {
      bootstrapService({
        name: 'demo',
        version: '0.0.1',
        configSchema: serviceSchema,
        env: { DB_PORT: 'x', ACCESS_TOKEN_TTL_SECONDS: 'soon' },
        installSignalHandlers: false,
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).keys).toEqual(['ACCESS_TOKEN_TTL_SECONDS', 'DB_PORT']);
  });
});

describe('createDataClients', () => {
  it('opens the pool and Redis client from the base keys, with per-service overrides', async () => {
    const { config, kit } = bootstrapService({
      name: 'demo',
      version: '0.0.1',
      configSchema: serviceSchema,
      env: {
        LOG_LEVEL: 'silent',
        DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
        DB_POOL_SIZE: '12',
        DB_CONNECTION_TIMEOUT: '5',
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: 'demo-data-clients:',
      },
      installSignalHandlers: false,
      kitOptions: { exit: () => {}, flushTelemetryOnShutdown: false },
    });
    expect(pgPoolOptionsFromConfig(config)).toMatchObject({ max: 12, connectionTimeoutMillis: 5000 });
    expect(redisOptionsFromConfig(config)).toMatchObject({ keyPrefix: 'demo-data-clients:' });

    const { pool, redis } = createDataClients(kit, config, {
      postgres: { statementTimeoutMs: 2000 },
      redis: { critical: false },
    });
    try {
      expect(pool.options).toMatchObject({ max: 12, connectionTimeoutMillis: 5000 });
      expect(redis.options.keyPrefix).toBe('demo-data-clients:');
      expect((await pool.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('2s');
      await redis.ping();
      const report = await kit.readiness.report();
      expect(report.checks.postgres).toMatchObject({ status: 'up', critical: true });
      expect(report.checks.redis).toMatchObject({ status: 'up', critical: false });
    } finally {
      await kit.shutdown('test finished');
    }
    // The clients belong to the kit: its shutdown closed them.
    expect(pool.ended).toBe(true);
  });
});

describe('runMain', () => {
  it('prints the message of a startup failure and exits 1', async () => {
    const reports: string[] = [];
    const exits: number[] = [];
    await runMain(
      async () => {
        throw new ConfigError(['DB_PORT'], ['  - DB_PORT: expected a number']);
      },
      { report: (m) => reports.push(m), exit: (c) => exits.push(c) },
    );
    expect(reports).toEqual(['Invalid configuration (1 invalid key):\n  - DB_PORT: expected a number']);
    expect(exits).toEqual([1]);
  });

  it('does not exit when main resolves (the service keeps running on its listeners)', async () => {
    const exits: number[] = [];
    let ran = false;
    await runMain(
      async () => {
        ran = true;
      },
      { exit: (c) => exits.push(c) },
    );
    expect(ran).toBe(true);
    expect(exits).toEqual([]);
  });
});

describe('readPackageVersion', () => {
  it('reads the version of the package.json it is pointed at', () => {
    expect(readPackageVersion(new URL('../package.json', import.meta.url))).toMatch(/^\d+\.\d+\.\d+/);
  });
});
