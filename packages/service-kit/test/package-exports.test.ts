import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// These run against dist/ (turbo builds before testing): they check what services actually import.
const run = promisify(execFile);
const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('package entry points (built)', () => {
  it('exposes the documented API from every subpath', async () => {
    const [root, fastify, express, migrate, auth] = await Promise.all([
      import('@shop/service-kit'),
      import('@shop/service-kit/fastify'),
      import('@shop/service-kit/express'),
      import('@shop/service-kit/migrate'),
      import('@shop/service-kit/auth'),
    ]);
    for (const name of [
      'loadConfig',
      'baseConfigSchema',
      'ConfigError',
      'createLogger',
      'createServiceKit',
      'createPgPool',
      'createRedis',
      'DomainError',
      'NotFoundError',
      'ConflictError',
      'ForbiddenError',
      'UnauthorizedError',
      'ValidationError',
      'PreconditionFailedError',
      'TooManyRequestsError',
      'ServiceUnavailableError',
      'bootstrapService',
      'runMain',
      'readPackageVersion',
      'redisOptionsFromConfig',
      'createDataClients',
      'withTransaction',
      'startWorkers',
    ]) {
      expect(root, name).toHaveProperty(name);
    }
    expect(typeof fastify.serviceKitPlugin).toBe('function');
    expect(fastify).not.toHaveProperty('listenFastify');
    expect(typeof fastify.registerOpenApi).toBe('function');
    expect(typeof fastify.problems).toBe('function');
    expect(fastify.ProblemSchema).toMatchObject({ type: 'object' });
    expect(typeof fastify.ResponseValidationError).toBe('function');
    expect(typeof express.mountServiceKit).toBe('function');
    expect(typeof express.mountErrorHandlers).toBe('function');
    expect(typeof express.validate).toBe('function');
    expect(typeof express.mountOpenApi).toBe('function');
    expect(typeof express.openApiDocument).toBe('function');
    expect(typeof migrate.runMigrations).toBe('function');
    expect(typeof migrate.migrateCli).toBe('function');
    for (const name of [
      'createJwtVerifier',
      'fastifyAuth',
      'expressAuth',
      'internalTokenGuard',
      'hasInternalToken',
    ])
      expect(auth, name).toHaveProperty(name);
  });

  const sdkStarted = `process.stdout.write(String(globalThis[Symbol.for('shop.service-kit.telemetry-sdk')] !== undefined))`;

  it('starts the OpenTelemetry SDK from `node --import @shop/service-kit/telemetry`', {
    timeout: 60_000,
  }, async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', '@shop/service-kit/telemetry', '-e', sdkStarted],
      {
        cwd,
        env: { ...process.env, OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'none' },
      },
    );
    expect(stdout).toBe('true');
  });

  it('loads nothing when OTEL_SDK_DISABLED=true', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', '@shop/service-kit/telemetry', '-e', sdkStarted],
      {
        cwd,
        env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
      },
    );
    expect(stdout).toBe('false');
  });
});
