import { startTcpProxy, stopAllServiceProcesses, type TcpProxy } from '@shop/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { adapters, startFixture, useFixtureDependencies } from './helpers/fixture-process.js';
import { httpRequest } from './helpers/http-client.js';

const fixture = useFixtureDependencies('kit_readiness');

interface Report {
  status: string;
  checks: Record<string, { status: string; reason?: string; error?: string }>;
}

/** Polls /readyz (bounded) until it answers `status` and `accept(body)`; returns the body. */
async function readinessBecomes(
  url: string,
  status: number,
  accept: (report: Report) => boolean = () => true,
  attempts = 100,
): Promise<Report & { raw: string }> {
  let last: { status: number; body: string } | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await httpRequest(`${url}/readyz`);
    if (last.status === status && accept(JSON.parse(last.body) as Report))
      return { ...(JSON.parse(last.body) as Report), raw: last.body };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`readiness stayed ${last?.status}: ${last?.body}`);
}

/** A /readyz body names checks and reason codes only: no address, port, message or stack. */
function expectNoInternals(raw: string, ...secrets: string[]) {
  expect(raw).not.toMatch(/127\.0\.0\.1|localhost|ECONN|\bat \/|\n/);
  for (const secret of secrets) expect(raw).not.toContain(secret);
  for (const [, check] of Object.entries((JSON.parse(raw) as Report).checks)) {
    expect(Object.keys(check).sort()).toEqual(
      check.status === 'up'
        ? ['critical', 'durationMs', 'status']
        : ['critical', 'durationMs', 'reason', 'status'],
    );
  }
}

describe.each(adapters)('readiness with real PostgreSQL and Redis (%s adapter)', (adapter) => {
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  afterEach(async () => {
    await stopAllServiceProcesses();
    await pgProxy?.close();
    await redisProxy?.close();
  });

  it('is 200 when both are up, 503 naming the failed check when one is unreachable, and recovers without a restart', async () => {
    pgProxy = await startTcpProxy({ port: 5432 });
    redisProxy = await startTcpProxy({ port: 6379 });
    const dbUrl = new URL(fixture.database.url);
    dbUrl.host = `127.0.0.1:${pgProxy.port}`;
    const app = await startFixture(adapter, {
      FIXTURE_WITH_DEPENDENCIES: 'true',
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}/0`,
      REDIS_KEY_PREFIX: fixture.redisPrefix.prefix,
    });

    const healthy = await readinessBecomes(app.url, 200);
    expect(healthy).toMatchObject({
      status: 'ready',
      checks: { postgres: { status: 'up' }, redis: { status: 'up' } },
    });

    await pgProxy.stop();
    const pgDown = await readinessBecomes(app.url, 503);
    expect(pgDown.status).toBe('not_ready');
    expect(pgDown.checks.postgres).toMatchObject({ status: 'down', reason: 'down' });
    expectNoInternals(pgDown.raw, String(pgProxy.port));
    expect(pgDown.checks.redis?.status).toBe('up');
    // Liveness never looks at dependencies.
    expect((await httpRequest(`${app.url}/healthz`)).status).toBe(200);

    await pgProxy.start();
    expect((await readinessBecomes(app.url, 200)).checks.postgres?.status).toBe('up');

    await redisProxy.stop();
    const redisDown = await readinessBecomes(app.url, 503);
    expect(redisDown.checks.redis).toMatchObject({ status: 'down', reason: 'down' });
    expectNoInternals(redisDown.raw, String(redisProxy.port));
    expect(redisDown.checks.postgres?.status).toBe('up');

    await redisProxy.start();
    expect((await readinessBecomes(app.url, 200)).checks.redis?.status).toBe('up');
    expect(app.exited).toBe(false);
  });

  it('names a hung dependency "timeout" and one that refuses the credentials "auth_failed"', async () => {
    pgProxy = await startTcpProxy({ port: 5432 });
    const dbUrl = new URL(fixture.database.url);
    dbUrl.host = `127.0.0.1:${pgProxy.port}`;
    // A role that does not exist (SQLSTATE 28000) and a Redis ACL user that does not exist (WRONGPASS).
    const wrongRole = new URL(fixture.database.url);
    wrongRole.username = 'shop_no_such_role';
    const app = await startFixture(adapter, {
      FIXTURE_WITH_DEPENDENCIES: 'true',
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: 'redis://shop_no_such_user:not-the-password@127.0.0.1:6379/0',
    });
    const refused = await readinessBecomes(app.url, 503, (r) => r.checks.redis?.reason === 'auth_failed');
    expectNoInternals(refused.raw, 'shop_no_such_user', 'not-the-password');

    await pgProxy.blackhole();
    const hung = await readinessBecomes(app.url, 503, (r) => r.checks.postgres?.reason === 'timeout');
    expectNoInternals(hung.raw, String(pgProxy.port));
    await pgProxy.start();
    await readinessBecomes(app.url, 503, (r) => r.checks.postgres?.status === 'up');

    const wrongDb = await startFixture(adapter, {
      FIXTURE_WITH_DEPENDENCIES: 'true',
      DATABASE_URL: wrongRole.toString(),
      REDIS_URL: fixture.redisPrefix.url,
    });
    const denied = await readinessBecomes(
      wrongDb.url,
      503,
      (r) => r.checks.postgres?.reason === 'auth_failed',
    );
    expectNoInternals(denied.raw, 'shop_no_such_role');
    expect(app.exited || wrongDb.exited).toBe(false);
  });

  it('is 503 with state "draining" once shutdown begins even though every check passes', async () => {
    const app = await startFixture(adapter, {
      FIXTURE_WITH_DEPENDENCIES: 'true',
      DATABASE_URL: fixture.database.url,
      REDIS_URL: fixture.redisPrefix.url,
      SHUTDOWN_DELAY_MS: '2000',
    });
    await readinessBecomes(app.url, 200);
    app.signal('SIGTERM');
    const draining = await readinessBecomes(app.url, 503);
    expect(draining).toMatchObject({
      status: 'draining',
      checks: { postgres: { status: 'up' }, redis: { status: 'up' } },
    });
  });
});
