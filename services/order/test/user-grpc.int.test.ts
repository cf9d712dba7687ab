// The order service checking access tokens through the user service's gRPC API (USER_GRPC_URL), against
// the real user service running as a process: same 401 problem+json as the JWKS path for bad tokens,
// accounts the user service no longer knows are refused, per-attempt client metrics, retries of the
// read-only call, and 503 DEPENDENCY.UNAVAILABLE (never 500) while the user service is down.
import { fileURLToPath } from 'node:url';
import { runMigrations } from '@shop/service-kit/migrate';
import { getFreePort, pollUntil, type ServiceProcess, startServiceProcess } from '@shop/testing';
import { expectUnavailable, useTestApp } from '@shop/testing/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, createOrderTestEnv, migrateOrders, type RunningOrderApp, startOrderApp } from './harness.js';

const USER_DIR = new URL('../../user/', import.meta.url);

// One database with both schemas, like production: the user service is real, not a stand-in.
const running = useTestApp(
  () =>
    createOrderTestEnv('order_usergrpc', async (url) => {
      await migrateOrders(url);
      await runMigrations({ connectionString: url, schema: 'users', dir: new URL('migrations', USER_DIR) });
    }),
  async (env) => {
    userPorts = { http: await getFreePort(), grpc: await getFreePort() };
    user = await startUser(env.serviceEnv());
    return startOrderApp(env, {
      USER_GRPC_URL: `127.0.0.1:${userPorts.grpc}`,
      USER_GRPC_TIMEOUT: '1s',
      SERVICE_RETRY: '1',
    });
  },
);
let userPorts: { http: number; grpc: number };
let user: ServiceProcess;
let jwksOrder: RunningOrderApp;

function startUser(env: Record<string, string>) {
  return startServiceProcess({
    entry: fileURLToPath(new URL('src/main.ts', USER_DIR)),
    cwd: fileURLToPath(USER_DIR),
    port: userPorts.http,
    healthPath: '/readyz',
    startTimeoutMs: 45_000,
    env: { ...env, GRPC_PORT: String(userPorts.grpc), OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'warn' },
  });
}

beforeAll(async () => {
  // The same service on the JWKS path (the user service's /.well-known/jwks.json), to compare answers.
  jwksOrder = await startOrderApp(running.env, { JWKS_URL: `${user.url}/.well-known/jwks.json` });
});
afterAll(async () => {
  await jwksOrder?.kit.shutdown('test finished');
  await user?.stop();
});

const listOrders = (base: string, token: string) =>
  fetch(`${base}/api/v1/orders`, { headers: { authorization: `Bearer ${token}` } });

async function customerToken(): Promise<{ id: string; token: string }> {
  const username = `grpc_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const password = 'correct horse battery staple';
  const post = (path: string, body: unknown) =>
    fetch(`${user.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const reg = await post('/api/v1/users', { username, email: `${username}@example.com`, password });
  expect(reg.status).toBe(201);
  const login = await post('/api/v1/users/login', { username, password });
  expect(login.status).toBe(200);
  return {
    id: ((await reg.json()) as { id: string }).id,
    token: ((await login.json()) as { access_token: string }).access_token,
  };
}

async function verifyCount(code: string): Promise<number> {
  const text = await (await fetch(`${running.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('grpc_client_request_duration_seconds_count{') &&
        l.includes('upstream="user"') &&
        l.includes('method="shop.user.v1.UserService/VerifyToken"') &&
        l.includes(`code="${code}"`),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('order service with USER_GRPC_URL (tokens checked by the user service over gRPC)', () => {
  it('accepts a token of the user service, counting the call in grpc_client_request_duration_seconds', async () => {
    const { token } = await customerToken();
    const before = await verifyCount('OK');
    const res = await listOrders(running.url, token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ items: [] });
    expect(await verifyCount('OK')).toBe(before + 1);
  });

  it('answers a malformed token with the same 401 problem+json as the JWKS path', async () => {
    const viaGrpc = await listOrders(running.url, 'not.a-jwt');
    const viaJwks = await listOrders(jwksOrder.url, 'not.a-jwt');
    expect(viaGrpc.status).toBe(401);
    expect(viaGrpc.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(viaGrpc.headers.get('www-authenticate')).toBe(viaJwks.headers.get('www-authenticate'));
    const [a, b] = [(await viaGrpc.json()) as object, (await viaJwks.json()) as object];
    expect(a).toMatchObject({ status: 401, code: 'AUTH.INVALID_TOKEN' });
    expect({ ...a, instance: undefined }).toEqual({ ...b, instance: undefined });
  });

  it('refuses a token the user service did not sign, and one whose account is gone, with 401 AUTH.INVALID_TOKEN', async () => {
    // Signed by the test issuer: not the user service's key.
    const foreign = await running.env.tokens.sign({ role: 'customer', sub: ALICE });
    const res = await listOrders(running.url, foreign);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'AUTH.INVALID_TOKEN' });

    const { id, token } = await customerToken();
    await running.pool.query('DELETE FROM users.users WHERE id = $1', [id]);
    const gone = await listOrders(running.url, token);
    expect(gone.status).toBe(401);
    expect(await gone.json()).toMatchObject({
      code: 'AUTH.INVALID_TOKEN',
      detail: 'The account of this access token no longer exists',
    });
    // The JWKS path cannot know: the signature is still valid.
    expect((await listOrders(jwksOrder.url, token)).status).toBe(200);
  });

  it('answers 503 DEPENDENCY.UNAVAILABLE while the user service is down (the read-only call retried once) and recovers', async () => {
    const { token } = await customerToken();
    user.signal('SIGTERM');
    await user.waitForExit(10_000);

    const before = await verifyCount('UNAVAILABLE');
    await expectUnavailable(await listOrders(running.url, token));
    expect(await verifyCount('UNAVAILABLE')).toBe(before + 2);

    user = await startUser(running.env.serviceEnv());
    // Without JWT_PRIVATE_KEY the restarted service signs with a new key: log in again.
    const fresh = (await customerToken()).token;
    const back = await pollUntil(
      () => listOrders(running.url, fresh),
      (r) => r.status === 200,
      { intervalMs: 100, attempts: 150 },
    );
    expect(back.status).toBe(200);
  });
});
