// The user service as a real process with PostgreSQL and Redis behind TCP proxies that the tests
// cut: every route answers 503 problem+json (never 500), the process stays up, readiness names the
// dependency, and everything works again once the proxy forwards again — without a restart.
import { fileURLToPath } from 'node:url';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { getFreePort, grpcFailure, pollUntil, type UserGrpcClient, userGrpcClient } from '@shop/testing';
import { expectUnavailable, useServiceBehindProxies } from '@shop/testing/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserTestEnv, newUser } from './harness.js';

let grpcPort: number;
const service = useServiceBehindProxies(
  () => createUserTestEnv('user_outage'),
  async (env) => {
    grpcPort = await getFreePort();
    return {
      entry: fileURLToPath(new URL('../src/main.ts', import.meta.url)),
      env: env.serviceEnv({
        LOG_LEVEL: 'info',
        OTEL_SDK_DISABLED: 'true',
        DB_CONNECTION_TIMEOUT: '2',
        GRPC_PORT: String(grpcPort),
      }),
    };
  },
);
let url: string;
let grpc: UserGrpcClient;
beforeAll(() => {
  url = service.app.url;
  grpc = userGrpcClient(grpcPort);
});
afterAll(() => grpc?.close());

const post = (path: string, body: unknown) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const me = (token: string) =>
  fetch(`${url}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });

async function registerAndLogin() {
  const body = newUser();
  expect((await post('/api/v1/users', body)).status).toBe(201);
  const login = await post('/api/v1/users/login', { username: body.username, password: body.password });
  expect(login.status).toBe(200);
  return ((await login.json()) as { access_token: string }).access_token;
}

describe('user service during dependency outages (real process)', () => {
  it('answers 503 DEPENDENCY.UNAVAILABLE on its database routes while PostgreSQL is cut and recovers without a restart', async () => {
    const token = await registerAndLogin();
    await service.deps.postgres.stop();

    await expectUnavailable(await post('/api/v1/users', newUser()));
    await expectUnavailable(await me(token));
    await expectUnavailable(
      await post('/api/v1/users/login', { username: 'someone', password: 'whatever it is' }),
    );
    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toMatchObject({ checks: { postgres: { status: 'down', reason: 'down' } } });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // The gRPC side of the same outage: the health service follows readiness, the RPC is retryable.
    expect(await grpc.check()).toBe('NOT_SERVING');
    expect(await grpc.check('shop.user.v1.UserService')).toBe('NOT_SERVING');
    expect((await grpcFailure(grpc.verifyToken(token))).code).toBe(GrpcStatus.UNAVAILABLE);

    await service.deps.postgres.start();
    expect(
      (
        await pollUntil(
          () => me(token),
          (r) => r.status === 200,
        )
      ).status,
    ).toBe(200);
    expect(await registerAndLogin()).toMatch(/\S/);
    expect(await grpc.check()).toBe('SERVING');
    expect((await grpc.verifyToken(token)).role).toBe('customer');
    expect(service.app.exited).toBe(false);
    expect(service.logCount('request failed with an unexpected error')).toBe(0);
    expect(service.logCount('gRPC call failed')).toBe(0);
  });

  it('does not count logins that got 503 during a PostgreSQL outage against the login limit', async () => {
    const body = newUser();
    expect((await post('/api/v1/users', body)).status).toBe(201);
    await service.deps.postgres.stop();
    // More attempts than the per-name limit (5), each without a verdict on the password.
    for (let i = 0; i < 7; i++)
      await expectUnavailable(
        await post('/api/v1/users/login', { username: body.username, password: body.password }),
      );
    await service.deps.postgres.start();
    const login = await pollUntil(
      () => post('/api/v1/users/login', { username: body.username, password: body.password }),
      (r) => r.status !== 503,
    );
    expect(login.status).toBe(200);
  });

  it('answers login 503 while Redis (sessions, login limits) is cut, keeps serving what needs no Redis, and recovers', async () => {
    const body = newUser();
    expect((await post('/api/v1/users', body)).status).toBe(201);
    await service.deps.redis.stop();

    await expectUnavailable(
      await post('/api/v1/users/login', { username: body.username, password: body.password }),
      'AUTH.SESSION_STORE_UNAVAILABLE',
    );
    expect((await post('/api/v1/users', newUser())).status).toBe(201);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);

    await service.deps.redis.start();
    const login = await pollUntil(
      () => post('/api/v1/users/login', { username: body.username, password: body.password }),
      (r) => r.status === 200,
    );
    expect(login.status).toBe(200);
    expect(service.app.exited).toBe(false);
    expect(service.logCount('Redis connection lost')).toBe(1);
  });

  it('answers a 5 MB body sent with fetch with a readable 413 problem', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await post('/api/v1/users', { ...newUser(), bio: 'x'.repeat(5 * 1024 * 1024) });
      expect(response.status).toBe(413);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({ code: 'REQUEST.BODY_TOO_LARGE' });
    }
  });
});
