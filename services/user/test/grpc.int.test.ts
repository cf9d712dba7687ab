// The user service's gRPC listener over a real loopback socket: UserService.VerifyToken and the
// standard health service (Check and Watch following readiness), its metrics and its graceful shutdown.
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  grpcFailure,
  startTcpProxy,
  type TcpProxy,
  type UserGrpcClient,
  userGrpcClient,
} from '@shop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGrpcServer } from '../src/grpc/grpc-server.js';
import { loadSigningKeys } from '../src/modules/auth/signing-keys.js';
import { type RunningUserApp, registerAndLogin, startUserApp, useUserApp } from './harness.js';

const running = useUserApp('usergrpc');

/** A gRPC server on a free loopback port for `app`, wired like main.ts; closed by the app's shutdown. */
async function grpcFor(app: RunningUserApp, options: { healthWatchIntervalMs?: number } = {}) {
  const server = buildGrpcServer({
    kit: app.kit,
    verifier: app.verifier,
    users: app.usersRepository,
    ...options,
  });
  const port = await server.listen(0, '127.0.0.1');
  // As startWorkers does in main.ts: registered after the pool and Redis, so it closes before them.
  app.kit.onShutdown('grpc server', () => server.close());
  return { server, port, client: userGrpcClient(port) };
}

let grpc: UserGrpcClient;
beforeAll(async () => {
  grpc = (await grpcFor(running)).client;
});
afterAll(() => grpc?.close());

describe('UserService.VerifyToken', () => {
  it('answers the account of a valid access token with its current role, username and expiry', async () => {
    const { user, tokens, body } = await registerAndLogin(running.app);
    const answer = await grpc.verifyToken(tokens.access_token);
    expect(answer).toMatchObject({ user_id: user.id, role: 'customer', username: body.username });
    expect(answer.expires_at * 1000).toBeGreaterThan(running.clock.now.getTime());
  });

  it('refuses a malformed, a foreign-key and an expired token with UNAUTHENTICATED and the problem code', async () => {
    expect(await grpcFailure(grpc.verifyToken('not-a-jwt'))).toMatchObject({
      code: GrpcStatus.UNAUTHENTICATED,
      errorCode: 'AUTH.INVALID_TOKEN',
      details: 'The access token is malformed',
    });

    const other = await startUserApp(running.env, { keys: await loadSigningKeys({}) });
    try {
      const foreign = (await registerAndLogin(other.app)).tokens.access_token;
      expect(await grpcFailure(grpc.verifyToken(foreign))).toMatchObject({
        code: GrpcStatus.UNAUTHENTICATED,
        errorCode: 'AUTH.INVALID_TOKEN',
      });
    } finally {
      await other.close();
    }

    const { tokens } = await registerAndLogin(running.app);
    const saved = running.clock.now;
    running.clock.now = new Date(saved.getTime() + 3600_000);
    try {
      expect(await grpcFailure(grpc.verifyToken(tokens.access_token))).toMatchObject({
        code: GrpcStatus.UNAUTHENTICATED,
        errorCode: 'AUTH.TOKEN_EXPIRED',
        details: 'The access token has expired',
      });
    } finally {
      running.clock.now = saved;
    }
    expect((await grpcFailure(grpc.verifyToken(''))).code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  it('refuses a valid signature whose account no longer exists', async () => {
    const { user, tokens } = await registerAndLogin(running.app);
    await running.pool.query('DELETE FROM users.users WHERE id = $1', [user.id]);
    expect(await grpcFailure(grpc.verifyToken(tokens.access_token))).toMatchObject({
      code: GrpcStatus.UNAUTHENTICATED,
      errorCode: 'AUTH.INVALID_TOKEN',
      details: 'The account of this access token no longer exists',
    });
  });

  it('records grpc_server_request_duration_seconds by method and status code, without health checks', async () => {
    await grpc.check();
    const metrics = (await running.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      /grpc_server_request_duration_seconds_count\{[^}]*method="shop\.user\.v1\.UserService\/VerifyToken"[^}]*code="OK"[^}]*\} [1-9]/,
    );
    expect(metrics).toMatch(/grpc_server_request_duration_seconds_count\{[^}]*code="UNAUTHENTICATED"/);
    expect(metrics).not.toMatch(/grpc_server_request_duration_seconds_count\{[^}]*Health/);
  });
});

describe('grpc.health.v1.Health', () => {
  it('answers SERVING for the server and UserService, NOT_FOUND for an unknown service', async () => {
    expect(await grpc.check()).toBe('SERVING');
    expect(await grpc.check('shop.user.v1.UserService')).toBe('SERVING');
    expect((await grpcFailure(grpc.check('no.such.Service'))).code).toBe(GrpcStatus.NOT_FOUND);
    const unknown = grpc.watch('no.such.Service');
    await expect.poll(() => unknown.statuses, { timeout: 5000 }).toEqual(['SERVICE_UNKNOWN']);
    unknown.call.cancel();
  });

  describe('following readiness', () => {
    let proxy: TcpProxy;
    let app: RunningUserApp;
    let client: UserGrpcClient;
    beforeAll(async () => {
      const db = new URL(running.env.db.url);
      proxy = await startTcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
      db.hostname = '127.0.0.1';
      db.port = String(proxy.port);
      app = await startUserApp(running.env, { databaseUrl: db.toString() });
      client = (await grpcFor(app, { healthWatchIntervalMs: 50 })).client;
    });
    afterAll(async () => {
      client?.close();
      await app?.close();
      await proxy?.close();
    });

    it('Check and Watch turn NOT_SERVING while PostgreSQL is down and SERVING again when it is back', async () => {
      const watch = client.watch();
      await expect.poll(() => watch.statuses, { timeout: 5000 }).toEqual(['SERVING']);
      expect(await client.check()).toBe('SERVING');

      await proxy.stop();
      expect(await client.check()).toBe('NOT_SERVING');
      await expect.poll(() => watch.statuses, { timeout: 5000 }).toEqual(['SERVING', 'NOT_SERVING']);
      const readyz = await app.app.inject({ method: 'GET', url: '/readyz' });
      expect(readyz.statusCode).toBe(503);

      await proxy.start();
      await expect
        .poll(() => watch.statuses, { timeout: 10_000 })
        .toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
      expect(await client.check()).toBe('SERVING');
      watch.call.cancel();
    });
  });

  it('a shutdown tells watchers NOT_SERVING, ends their streams, finishes in-flight calls and closes the port', async () => {
    const app = await startUserApp(running.env);
    const { port, client } = await grpcFor(app, { healthWatchIntervalMs: 50 });
    const { tokens } = await registerAndLogin(app.app);
    const watch = client.watch('shop.user.v1.UserService');
    await expect.poll(() => watch.statuses, { timeout: 5000 }).toEqual(['SERVING']);

    // Hold the call inside the server: its account lookup waits on a lock the test releases mid-shutdown.
    const locker = await running.pool.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE users.users IN ACCESS EXCLUSIVE MODE');
    const inFlight = client.verifyToken(tokens.access_token);
    await expect
      .poll(
        async () => {
          const { rows } = await running.pool.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM users.users%'`,
          );
          return rows[0].n;
        },
        { timeout: 5000 },
      )
      .toBe(1);
    const closing = app.close();
    await watch.ended;
    expect(watch.statuses).toEqual(['SERVING', 'NOT_SERVING']);
    await locker.query('COMMIT');
    locker.release();
    expect((await inFlight).role).toBe('customer');
    await closing;

    const after = userGrpcClient(port);
    try {
      expect((await grpcFailure(after.check())).code).toBe(GrpcStatus.UNAVAILABLE);
    } finally {
      after.close();
      client.close();
    }
  });
});
