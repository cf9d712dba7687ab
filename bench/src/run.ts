// `npm run bench`: the seed's load scenarios (10.3) against the four real services started as processes
// on 127.0.0.1, each reported as a ratio to a baseline measured in the same run on the same machine, so
// the numbers mean the same on a laptop and on a CI box. Every load loop is bounded in count and time.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import argon2 from 'argon2';
import autocannon from 'autocannon';
import { type Stack, startStack } from '../../tests/e2e/support/stack.ts';
import { evaluateTargets, type Measurement, type Target } from './targets.ts';

const run = promisify(execFile);
const MAX_SECONDS_PER_SCENARIO = 60;

interface LoadResult {
  rps: number;
  p99Ms: number;
  ok: number;
  failed: number;
}

/** One bounded autocannon run: `amount` requests at `connections` concurrency, never longer than the cap. */
async function load(options: {
  url: string;
  amount: number;
  connections: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: unknown;
}): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    amount: options.amount,
    connections: options.connections,
    method: options.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    timeout: 30,
    maxOverallRequests: options.amount,
    duration: MAX_SECONDS_PER_SCENARIO,
  });
  return {
    // Total over wall time: autocannon's per-second average is coarse for runs of a few seconds.
    rps: result.requests.total / Math.max(result.duration, 0.001),
    p99Ms: result.latency.p99,
    ok: result['2xx'],
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

/** argon2id verifications per second in this process at `concurrency`: the ceiling of any login endpoint. */
async function argon2Ceiling(amount: number, concurrency: number): Promise<number> {
  const hash = await argon2.hash('bench password 2026!', {
    type: argon2.argon2id,
    memoryCost: 19456,
    timeCost: 2,
    parallelism: 1,
  });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < amount) await argon2.verify(hash, 'bench password 2026!');
    }),
  );
  return amount / ((performance.now() - started) / 1000);
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

async function json(url: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

async function seedCatalog(stack: Stack): Promise<void> {
  const productDir = fileURLToPath(new URL('../../services/product/', import.meta.url));
  await run(process.execPath, ['dist/seed.js'], {
    cwd: productDir,
    env: { ...process.env, DATABASE_URL: stack.db.url, LOG_LEVEL: 'warn' },
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log('starting the shop (four services, real PostgreSQL and Redis on 127.0.0.1)…');
  const stack = await startStack({ orderTtlSeconds: 900 });
  const measurements: Measurement[] = [];
  try {
    await seedCatalog(stack);
    const user = stack.url('user');
    const product = stack.url('product');
    const order = stack.url('order');

    // The seed's login body shape; the seed's own 'testpass' is below the password policy, so the bench
    // registers a user with a valid password first.
    const credentials = { username: 'benchuser', password: 'bench password 2026!' };
    await json(`${user}/api/v1/users`, {
      method: 'POST',
      body: JSON.stringify({ ...credentials, email: 'bench@example.com' }),
    });
    const login = await json(`${user}/api/v1/users/login`, {
      method: 'POST',
      body: JSON.stringify(credentials),
    });
    const token = String(login.access_token);

    const memoryBefore = Object.fromEntries(
      await Promise.all(
        (['user', 'product', 'order', 'payment'] as const).map(
          async (s) => [s, await rssBytes(stack.process(s).pid)] as const,
        ),
      ),
    );

    // 1. Login (seed: hey -n 100 -c 20). Baseline: argon2id verify throughput in-process.
    // Each login verifies once; the login limiter counts failures only, so 100 good logins pass.
    const loginLoad = await load({
      url: `${user}/api/v1/users/login`,
      method: 'POST',
      body: credentials,
      amount: 100,
      connections: 20,
    });
    const ceiling = await argon2Ceiling(100, 20);
    measurements.push({
      scenario: 'login',
      value: loginLoad.rps,
      baseline: ceiling,
      ratio: loginLoad.rps / ceiling,
      detail: `${loginLoad.rps.toFixed(1)} req/s vs argon2id ${ceiling.toFixed(1)} verify/s; p99 ${loginLoad.p99Ms} ms; ${loginLoad.failed} failed`,
      failed: loginLoad.failed,
    });

    // 2. Product read (cached) vs the same process's liveness probe (framework ceiling).
    const healthProduct = await load({ url: `${product}/healthz`, amount: 5000, connections: 20 });
    const productRead = await load({ url: `${product}/api/v1/products/1`, amount: 5000, connections: 20 });
    measurements.push({
      scenario: 'product-read-cached',
      value: productRead.rps,
      baseline: healthProduct.rps,
      ratio: productRead.rps / healthProduct.rps,
      detail: `${productRead.rps.toFixed(0)} req/s vs /healthz ${healthProduct.rps.toFixed(0)} req/s; p99 ${productRead.p99Ms} ms`,
      failed: productRead.failed,
    });

    // 3. Search (PostgreSQL full text) vs the cached read: the price of a query that cannot be cached.
    const search = await load({
      url: `${product}/api/v1/products?q=coffee&limit=20`,
      amount: 2000,
      connections: 20,
    });
    measurements.push({
      scenario: 'product-search',
      value: search.rps,
      baseline: productRead.rps,
      ratio: search.rps / productRead.rps,
      detail: `${search.rps.toFixed(0)} req/s vs cached read ${productRead.rps.toFixed(0)} req/s; p99 ${search.p99Ms} ms`,
      failed: search.failed,
    });

    // 4. Orders (seed: hey -n 500 -c 50 with {"product_id":1,"quantity":2}) vs the order service's probe.
    const healthOrder = await load({ url: `${order}/healthz`, amount: 5000, connections: 50 });
    const orders = await load({
      url: `${order}/api/v1/orders`,
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: { product_id: 1, quantity: 2 },
      amount: 500,
      connections: 50,
    });
    measurements.push({
      scenario: 'order-create',
      value: orders.rps,
      baseline: healthOrder.rps,
      ratio: orders.rps / healthOrder.rps,
      detail: `${orders.rps.toFixed(0)} req/s vs /healthz ${healthOrder.rps.toFixed(0)} req/s; p99 ${orders.p99Ms} ms; ${orders.failed} failed`,
      failed: orders.failed,
    });

    // 5. Memory: resident set after all scenarios vs at idle, per service.
    for (const s of ['user', 'product', 'order', 'payment'] as const) {
      const after = await rssBytes(stack.process(s).pid);
      const before = memoryBefore[s]!;
      measurements.push({
        scenario: `memory-${s}`,
        value: after,
        baseline: before,
        ratio: after / before,
        detail: `RSS ${(after / 2 ** 20).toFixed(0)} MiB after load vs ${(before / 2 ** 20).toFixed(0)} MiB idle`,
        failed: 0,
      });
    }
  } finally {
    await stack.stop();
  }

  const targets = JSON.parse(await readFile(new URL('../baselines.json', import.meta.url), 'utf8')) as {
    targets: Target[];
  };
  const verdicts = evaluateTargets(measurements, targets.targets);
  console.log('\nscenario                 ratio    target        verdict  detail');
  for (const v of verdicts) {
    console.log(
      `${v.scenario.padEnd(24)} ${v.ratio.toFixed(3).padStart(6)}   ${v.target.padEnd(12)}  ${v.ok ? 'ok  ' : 'MISS'}     ${v.detail}`,
    );
  }
  const outDir = new URL('../results/', import.meta.url);
  await mkdir(outDir, { recursive: true });
  const file = new URL(`bench-${new Date().toISOString().replaceAll(':', '-')}.json`, outDir);
  await writeFile(file, `${JSON.stringify({ started, node: process.version, verdicts }, null, 2)}\n`);
  console.log(`\nwritten ${fileURLToPath(file)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (verdicts.some((v) => !v.ok)) process.exitCode = 1;
}

await main();
