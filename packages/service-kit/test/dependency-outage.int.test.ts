import {
  pollUntil,
  type ServiceProcess,
  startTcpProxy,
  stopAllServiceProcesses,
  type TcpProxy,
} from '@shop/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adapters, byMessage, startFixture, useFixtureDependencies } from './helpers/fixture-process.js';
import { httpRequest, type SimpleResponse } from './helpers/http-client.js';

const fixture = useFixtureDependencies('kit_outage');

/** The answer every route gives while a dependency is unreachable. */
function expectDependencyUnavailable(res: SimpleResponse) {
  expect(res.status).toBe(503);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  const body = res.json<{ code: string; status: number; detail: string }>();
  expect(body).toMatchObject({ status: 503, code: 'DEPENDENCY.UNAVAILABLE' });
  // Never the address or the driver's message.
  expect(body.detail).not.toMatch(/127\.0\.0\.1|ECONN|terminat/i);
}

/** Polls `url` (bounded) until it answers `status`. */
const answers = (url: string, status: number, init: Parameters<typeof httpRequest>[1] = {}) =>
  pollUntil(
    () => httpRequest(url, init),
    (r) => r.status === status,
  );

const countLogs = (app: ServiceProcess, msg: string) => app.logLines().filter(byMessage(msg)).length;

describe.each(adapters)('dependency outages (%s adapter, real process)', (adapter) => {
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let app: ServiceProcess;

  beforeAll(async () => {
    pgProxy = await startTcpProxy({ port: 5432 });
    redisProxy = await startTcpProxy({ port: 6379 });
    const dbUrl = new URL(fixture.database.url);
    dbUrl.host = `127.0.0.1:${pgProxy.port}`;
    app = await startFixture(adapter, {
      FIXTURE_WITH_DEPENDENCIES: 'true',
      FIXTURE_TX_HOLD_MS: '1500',
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}/0`,
      REDIS_KEY_PREFIX: fixture.redisPrefix.prefix,
    });
    await answers(`${app.url}/readyz`, 200);
  });
  afterEach(async () => {
    await pgProxy.start();
    await redisProxy.start();
  });
  afterAll(async () => {
    await stopAllServiceProcesses();
    await pgProxy?.close();
    await redisProxy?.close();
  });

  it('answers 503 DEPENDENCY.UNAVAILABLE to a transaction whose connection is cut and to every request while PostgreSQL is gone, then recovers without a restart', async () => {
    expect((await httpRequest(`${app.url}/db/now`)).status).toBe(200);
    const before = app.logLines().length;

    // A transaction holds its checked-out client server-side; the connection is cut under it.
    const transaction = httpRequest(`${app.url}/db/transaction`, { method: 'POST' });
    await app.waitForLogCount(byMessage('transaction holding its client'), 1);
    await pgProxy.stop();
    expectDependencyUnavailable(await transaction);

    // While the database is unreachable: reads 503, readiness 503 naming it, liveness 200.
    expectDependencyUnavailable(await httpRequest(`${app.url}/db/now`));
    expectDependencyUnavailable(await httpRequest(`${app.url}/db/transaction`, { method: 'POST' }));
    const readyz = await httpRequest(`${app.url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(readyz.json()).toMatchObject({ checks: { postgres: { status: 'down', reason: 'down' } } });
    expect((await httpRequest(`${app.url}/healthz`)).status).toBe(200);
    expect(app.exited).toBe(false);

    await pgProxy.start();
    expect((await answers(`${app.url}/db/now`, 200)).json()).toHaveProperty('now');
    await answers(`${app.url}/readyz`, 200);
    expect(app.exited).toBe(false);

    // The outage is logged once, not per request or per pooled connection, and none as a 500.
    const lines = app.logLines().slice(before);
    expect(lines.filter(byMessage('PostgreSQL connection lost'))).toHaveLength(1);
    expect(lines.filter(byMessage('request failed with an unexpected error'))).toEqual([]);
    expect(lines.filter(byMessage('request rejected: dependency unavailable')).length).toBeGreaterThanOrEqual(
      3,
    );
  });

  it('survives an administrator terminating its connections (57P01) in the middle of a transaction', async () => {
    const transaction = httpRequest(`${app.url}/db/transaction`, { method: 'POST' });
    const holding = countLogs(app, 'transaction holding its client');
    await app.waitForLogCount(byMessage('transaction holding its client'), holding + 1);
    const admin = new pg.Client({ connectionString: fixture.database.url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = $1 AND application_name = $2`,
        [fixture.database.name, `fixture-${adapter}`],
      );
      expect(rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    expectDependencyUnavailable(await transaction);
    expect(app.exited).toBe(false);
    // The terminated clients were discarded: the next requests get fresh connections.
    expect((await answers(`${app.url}/db/now`, 200)).status).toBe(200);
    expect((await answers(`${app.url}/db/transaction`, 200, { method: 'POST' })).json()).toEqual({
      committed: true,
    });
  });

  it('answers 503 DEPENDENCY.UNAVAILABLE while Redis is unreachable and recovers without a restart', async () => {
    expect((await httpRequest(`${app.url}/cache/greeting`)).status).toBe(200);
    await redisProxy.stop();
    expectDependencyUnavailable(await httpRequest(`${app.url}/cache/greeting`));
    const readyz = await answers(`${app.url}/readyz`, 503);
    expect(readyz.json()).toMatchObject({ checks: { redis: { status: 'down', reason: 'down' } } });
    expect(app.exited).toBe(false);

    await redisProxy.start();
    expect((await answers(`${app.url}/cache/greeting`, 200)).json()).toEqual({
      key: 'greeting',
      value: null,
    });
    await answers(`${app.url}/readyz`, 200);
    expect(app.logLines().filter(byMessage('Redis connection lost'))).toHaveLength(1);
    await app.waitForLog(byMessage('Redis connection restored'));
  });
});
