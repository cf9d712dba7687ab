// Operating Shop, measured on the real compose stack with two replicas of every service
// (docker-compose.replicas.yml) behind the gateway, under an open-model load (@shop/loadgen):
//   A. rolling restart — every replica stopped (with its grace period) and started again, one at a time,
//      service after service: 0 failed requests out of ≥ 10,000, every order reaches a final state;
//   B. dependency chaos — PostgreSQL restarted twice, Redis once, PostgreSQL stopped for 20 s: no
//      container restarts, no 500, readiness back within 15 s of the dependency, no order left
//      non-final after the payment TTL, every PAID order's stock committed exactly once.
// The figures are printed as tables (README "Operating Shop" quotes them).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type Classifier,
  type LoadResult,
  type PlacedOrder,
  runLoad,
  settleOrders,
  tolerateRetryAfter503,
} from '@shop/loadgen';
import { getFreePort } from '@shop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  composeUp,
  engineApi,
  ensureEngine,
  GRACE_SECONDS,
  PORTS,
  projectContainers,
  run,
  runAsync,
  SERVICES,
  type Service,
  waitFor,
} from './docker.js';

const engine = ensureEngine();
if (!engine.available) console.warn(`[operations] SKIPPED: no Docker engine — ${engine.reason}`);
const docker = engine.available ? engine.docker : 'docker';
const composeCmd = engine.available ? engine.compose : ['docker-compose'];

/** SHOP_OPS_TAG reuses images already built under that tag (no build, not removed): for reruns while developing. */
const PREBUILT = process.env.SHOP_OPS_TAG;
const TAG = PREBUILT ?? `ops-${randomBytes(4).toString('hex')}`;
/**
 * Journeys per second (open model); ~3.7 requests per journey, so ≥ 10,000 requests take ~9 min. The rate
 * is what a 2-core machine shared with other work sustains next to two replicas of four services.
 */
const RATE = 5;
/** Scenario A's floor of requests. */
const MIN_REQUESTS = 10_000;
/** The order service's payment TTL on this stack (900 s by default): how long an order may stay open. */
const PAYMENT_TTL_SECONDS = 45;
const ADMIN = { username: 'admin', password: 'dev-only-admin-password' };
const MIX = { browse: 10, search: 6, signup: 1, checkout: 3 };
const NON_FINAL = ['PENDING', 'AWAITING_PAYMENT'];

type Inspect = {
  Id: string;
  Name: string;
  RestartCount: number;
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    StartedAt: string;
    Health?: { Status: string };
  };
  Config: { Labels: Record<string, string> };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
};
const inspect = (id: string) => engineApi<Inspect>(`/containers/${id}/json`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** A plain text table (first row = header). */
function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]) =>
    `│ ${r.map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join(' │ ')} │`;
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  return [
    rule('┌', '┬', '┐'),
    line(rows[0]!),
    rule('├', '┼', '┤'),
    ...rows.slice(1).map(line),
    rule('└', '┴', '┘'),
  ].join('\n');
}

/** Requests per HTTP status over every step (`network`/`timeout` included), and errors per status. */
function statusRows(result: LoadResult): (string | number)[][] {
  const rows: (string | number)[][] = [['status', 'requests', 'errors']];
  for (const [status, n] of Object.entries(result.totals.statusCounts).sort())
    rows.push([status, n, result.totals.errorCounts[status] ?? 0]);
  rows.push(['total', result.totals.requests, result.totals.errors]);
  return rows;
}

const count5xx = (result: LoadResult, except: string[] = []) =>
  Object.entries(result.totals.statusCounts)
    .filter(([s]) => /^5\d\d$/.test(s) && !except.includes(s))
    .reduce((n, [, c]) => n + c, 0);

describe.skipIf(!engine.available)('operating Shop: two replicas per service under load (compose)', () => {
  const project = `shopops${randomBytes(3).toString('hex')}`;
  const work = mkdtempSync(path.join(tmpdir(), 'shop-ops-'));
  const overridePath = path.join(work, 'ops.override.yml');
  const built: string[] = [];
  let env: NodeJS.ProcessEnv = {};
  let gateway = '';
  /** Service replicas (container ids, sorted by name) and the data containers. */
  const replicas = new Map<Service, string[]>();
  let postgres = '';
  let redis = '';
  const ips = new Map<string, string>();
  const stockBefore = new Map<number, number>();
  const compose = (...args: string[]) =>
    run(
      composeCmd[0]!,
      [
        ...composeCmd.slice(1),
        '-p',
        project,
        '-f',
        'docker-compose.yml',
        '-f',
        'docker-compose.replicas.yml',
        '-f',
        overridePath,
        ...args,
      ],
      { env, timeout: 900_000 },
    );
  const psql = (sql: string) =>
    run(docker, [
      'exec',
      postgres,
      'psql',
      '-U',
      'shop',
      '-d',
      'ecommerce',
      '-v',
      'ON_ERROR_STOP=1',
      '-At',
      '-F',
      '\t',
      '-c',
      sql,
    ]);

  /** One scenario: `actions` run while the load runs; the load stops once both they and `minRequests` are done. */
  async function underLoad(
    name: string,
    actions: () => Promise<void>,
    opts: { minRequests: number; maxMs: number; classify?: Classifier },
  ): Promise<LoadResult> {
    const stop = new AbortController();
    let actionsDone = false;
    let requests = 0;
    const load = runLoad({
      target: gateway,
      arrivalRate: RATE,
      durationMs: opts.maxMs,
      maxJourneys: Math.ceil((RATE * opts.maxMs) / 1000) * 2,
      mix: MIX,
      users: 10,
      userPrefix: `ops${name}${randomBytes(2).toString('hex')}_`,
      thinkTime: { distribution: 'exponential', meanMs: 100, maxMs: 500 },
      // A shopper's browser waits (the gateway itself allows 60 s): a replica fresh out of a restart on a
      // busy 2-core machine answers its first orders in 5–15 s (cold pools, JIT), slow but not failed.
      requestTimeoutMs: 30_000,
      errorBudget: 0,
      admin: ADMIN,
      paymentMethods: { tok_success: 9, tok_decline: 1 },
      orderTimeoutMs: 60_000,
      pollIntervalMs: 500,
      drainTimeoutMs: 60_000,
      ...(opts.classify ? { classify: opts.classify, retry: { attempts: 4, maxDelayMs: 3000 } } : {}),
      progressIntervalMs: 2000,
      onProgress: (s) => {
        requests = s.requests;
        if (actionsDone && requests >= opts.minRequests) stop.abort();
      },
      signal: stop.signal,
    });
    // Let the arrivals reach their rate before the first action.
    await sleep(5000);
    try {
      await actions();
    } catch (err) {
      // No load may outlive its scenario (the next one would run beside it).
      stop.abort();
      await load.catch(() => undefined);
      throw err;
    }
    actionsDone = true;
    if (requests >= opts.minRequests) stop.abort();
    return load;
  }

  async function allContainers(): Promise<Inspect[]> {
    const list = await projectContainers(project);
    return Promise.all(list.map((c) => inspect(c.Id)));
  }

  /** GET /readyz of one replica, straight to its container address (the host reaches the bridge network). */
  async function ready(id: string, service: Service): Promise<boolean> {
    try {
      const res = await fetch(`http://${ips.get(id)}:${PORTS[service]}/readyz`, {
        signal: AbortSignal.timeout(2000),
      });
      await res.body?.cancel();
      return res.status === 200;
    } catch {
      return false;
    }
  }
  const allReady = async () => {
    const checks = [...replicas].flatMap(([svc, ids]) => ids.map((id) => ready(id, svc)));
    return (await Promise.all(checks)).every(Boolean);
  };

  beforeAll(async () => {
    const labels = { revision: 'operations', version: '0.0.0-operations' };
    if (!PREBUILT)
      for (const image of [...SERVICES, 'storefront'] as const)
        built.push(buildImage(docker, image, TAG, labels));
    writeFileSync(
      overridePath,
      JSON.stringify({
        services: {
          'order-service': { environment: { ORDER_PAYMENT_TTL_SECONDS: String(PAYMENT_TTL_SECONDS) } },
        },
      }),
    );
    const port = await getFreePort();
    env = { ...process.env, SHOP_TAG: TAG, GATEWAY_PORT: String(port), COMPOSE_HTTP_TIMEOUT: '300' };
    gateway = `http://127.0.0.1:${port}`;
    composeUp(compose);
    await waitFor(
      'the catalog through the gateway',
      async () => ((await fetch(`${gateway}/api/v1/products?limit=1`)).status === 200 ? true : undefined),
      { timeoutMs: 120_000 },
    );
    for (const c of await allContainers()) {
      const svc = c.Config.Labels['com.docker.compose.service'];
      ips.set(c.Id, Object.values(c.NetworkSettings.Networks)[0]?.IPAddress ?? '');
      if (svc === 'postgres') postgres = c.Id;
      if (svc === 'redis') redis = c.Id;
      const service = SERVICES.find((s) => `${s}-service` === svc);
      if (service && c.State.Running) replicas.set(service, [...(replicas.get(service) ?? []), c.Id]);
    }
    const names = new Map((await allContainers()).map((c) => [c.Id, c.Name]));
    for (const ids of replicas.values()) ids.sort((a, b) => names.get(a)!.localeCompare(names.get(b)!));
    await waitFor(
      'every replica ready (direct /readyz)',
      async () => ((await allReady()) ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    for (const line of psql('SELECT id, stock FROM catalog.products').trim().split('\n')) {
      const [id, stock] = line.split('\t');
      stockBefore.set(Number(id), Number(stock));
    }
  });

  afterAll(() => {
    try {
      compose('down', '-v', '--remove-orphans', '--timeout', '10');
    } finally {
      rmSync(work, { recursive: true, force: true });
      if (built.length > 0) run(docker, ['rmi', ...built]);
    }
  });

  it('runs two replicas of every service, each reachable and ready', () => {
    for (const svc of SERVICES) expect(replicas.get(svc)?.length, svc).toBe(2);
    expect(postgres).not.toBe('');
    expect(redis).not.toBe('');
  });

  describe('A: rolling restart of every replica, service after service, under load', () => {
    let result: LoadResult;
    let settled: PlacedOrder[];
    const restarts: { replica: string; stopS: number; exitCode: number; healthyS: number }[] = [];

    beforeAll(async () => {
      result = await underLoad(
        'a',
        async () => {
          for (const svc of SERVICES) {
            for (const id of replicas.get(svc)!) {
              const name = (await inspect(id)).Name.replace(/^\//, '');
              const t0 = performance.now();
              const stopped = await runAsync(docker, ['stop', '-t', String(GRACE_SECONDS[svc]), id]);
              if (stopped.code !== 0) throw new Error(`docker stop ${name}: ${stopped.output}`);
              const stopS = seconds(performance.now() - t0);
              const exitCode = (await inspect(id)).State.ExitCode;
              const t1 = performance.now();
              const started = await runAsync(docker, ['start', id]);
              if (started.code !== 0) throw new Error(`docker start ${name}: ${started.output}`);
              ips.set(id, Object.values((await inspect(id)).NetworkSettings.Networks)[0]?.IPAddress ?? '');
              // Ready = what the compose healthcheck asks (/readyz), polled every 0.5 s instead of every 5 s.
              await waitFor(`${name} ready again`, async () => ((await ready(id, svc)) ? true : undefined), {
                timeoutMs: 300_000,
                intervalMs: 500,
              });
              restarts.push({ replica: name, stopS, exitCode, healthyS: seconds(performance.now() - t1) });
            }
          }
        },
        { minRequests: MIN_REQUESTS, maxMs: 1_800_000 },
      );
      settled = await settleOrders(result.orders, { target: gateway, admin: ADMIN, timeoutMs: 60_000 });
      console.log(
        `[operations] A: rolling restart, ${result.totals.requests} requests in ${seconds(result.durationMs)} s` +
          ` (${RATE} journeys/s)\n${table([
            ['replica', 'stop s', 'exit code', 'ready after start s'],
            ...restarts.map((r) => [r.replica, r.stopS, r.exitCode, r.healthyS]),
          ])}\n${table(statusRows(result))}\n${table([
            ['orders placed', 'final', ...Object.keys(result.ordersByStatus)],
            [settled.length, settled.filter((o) => o.final).length, ...Object.values(result.ordersByStatus)],
          ])}`,
      );
      if (result.errorSamples.length > 0)
        console.log(`[operations] A: error samples\n${JSON.stringify(result.errorSamples, null, 1)}`);
    }, 2_700_000); // the roll takes 8 × a replica's start, minutes each on a busy machine

    it('restarted every replica one at a time, each stopping gracefully (exit 0) and coming back ready', () => {
      expect(restarts).toHaveLength(SERVICES.length * 2);
      for (const r of restarts) expect(r.exitCode, r.replica).toBe(0);
    });

    it(`answered ≥ ${MIN_REQUESTS} requests with 0 failures`, () => {
      expect(result.totals.requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
      expect(result.totals.errorCounts).toEqual({});
      expect(result.totals.errors).toBe(0);
      expect(count5xx(result)).toBe(0);
      expect(result.journeys.dropped).toBe(0);
    });

    it('every order placed reached a final state (the expected one for its payment token)', () => {
      expect(settled.length).toBeGreaterThan(100);
      expect(settled.filter((o) => !o.final)).toEqual([]);
      for (const o of settled)
        expect(o.status, o.id).toBe(o.paymentMethod === 'tok_decline' ? 'PAYMENT_FAILED' : 'PAID');
    });
  });

  describe('B: PostgreSQL restarted twice, Redis once, PostgreSQL stopped for 20 s, under the same load', () => {
    let result: LoadResult;
    let startedAtBefore: Map<string, string>;
    const outages: { action: string; dependencyBackS: number; readyAfterS: number }[] = [];
    let containersAfter: Inspect[];
    let nonFinal = -1;
    let lateOrders: string[] = [];
    let paidNotCommitted: string[] = [];
    let committedNotPaid: string[] = [];
    const stockMismatches: string[] = [];
    let finalCheckS = 0;

    const pgUp = async () => {
      const r = await runAsync(docker, [
        'exec',
        postgres,
        'pg_isready',
        '-h',
        '127.0.0.1',
        '-U',
        'shop',
        '-d',
        'ecommerce',
      ]);
      return r.code === 0;
    };
    const redisUp = async () => {
      const r = await runAsync(docker, [
        'exec',
        redis,
        'sh',
        '-c',
        'redis-cli --no-auth-warning -a "$REDIS_PASSWORD" ping | grep -q PONG',
      ]);
      return r.code === 0;
    };

    /** Takes a dependency away (`down`), measures until it answers again and until every replica is ready. */
    async function outage(action: string, down: () => Promise<void>, up: () => Promise<boolean>) {
      const t0 = performance.now();
      await down();
      await waitFor(`${action}: dependency back`, async () => ((await up()) ? true : undefined), {
        timeoutMs: 120_000,
        intervalMs: 200,
      });
      const back = performance.now();
      await waitFor(`${action}: every replica ready`, async () => ((await allReady()) ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      outages.push({
        action,
        dependencyBackS: seconds(back - t0),
        readyAfterS: seconds(performance.now() - back),
      });
      // The load runs on in a healthy shop for a while before the next fault.
      await sleep(8000);
    }

    beforeAll(async () => {
      startedAtBefore = new Map((await allContainers()).map((c) => [c.Id, c.State.StartedAt]));
      result = await underLoad(
        'b',
        async () => {
          const restart = (id: string) => async () => {
            const r = await runAsync(docker, ['restart', '-t', '10', id]);
            if (r.code !== 0) throw new Error(`docker restart: ${r.output}`);
          };
          await outage('restart postgres', restart(postgres), pgUp);
          await outage('restart postgres again', restart(postgres), pgUp);
          await outage('restart redis', restart(redis), redisUp);
          await outage(
            'stop postgres for 20 s',
            async () => {
              const r = await runAsync(docker, ['stop', '-t', '10', postgres]);
              if (r.code !== 0) throw new Error(`docker stop postgres: ${r.output}`);
              await sleep(20_000);
              const s = await runAsync(docker, ['start', postgres]);
              if (s.code !== 0) throw new Error(`docker start postgres: ${s.output}`);
            },
            pgUp,
          );
        },
        { minRequests: 0, maxMs: 420_000, classify: tolerateRetryAfter503 },
      );
      containersAfter = await allContainers();
      // Every order left open by an outage is settled by its payment event or expires with the TTL.
      const t0 = performance.now();
      await waitFor(
        'no order left in a non-final state',
        () => {
          nonFinal = Number(
            psql(
              `SELECT count(*) FROM orders.orders WHERE status IN (${NON_FINAL.map((s) => `'${s}'`).join(',')})`,
            ).trim(),
          );
          return nonFinal === 0 ? true : undefined;
        },
        { timeoutMs: (PAYMENT_TTL_SECONDS + 45) * 1000, intervalMs: 2000 },
      ).catch(() => undefined);
      finalCheckS = seconds(performance.now() - t0);
      lateOrders = psql(
        `SELECT id || ' ' || status FROM orders.orders WHERE status IN (${NON_FINAL.map((s) => `'${s}'`).join(',')})`,
      )
        .trim()
        .split('\n')
        .filter(Boolean);
      // The PAID order's stock is committed (not returned) and nothing else is.
      paidNotCommitted = psql(
        `SELECT o.id FROM orders.orders o LEFT JOIN catalog.reservations r ON r.order_id = o.id::text
         WHERE o.status = 'PAID' AND r.status IS DISTINCT FROM 'COMMITTED'`,
      )
        .trim()
        .split('\n')
        .filter(Boolean);
      committedNotPaid = psql(
        `SELECT r.order_id FROM catalog.reservations r LEFT JOIN orders.orders o ON r.order_id = o.id::text
         WHERE r.status IN ('COMMITTED', 'RESERVED') AND o.status IS DISTINCT FROM 'PAID'`,
      )
        .trim()
        .split('\n')
        .filter(Boolean);
      // Stock moved by exactly what the live reservations hold: no reservation taken or returned twice.
      const held = new Map<number, number>();
      for (const line of psql(
        `SELECT i.product_id, sum(i.quantity) FROM catalog.reservation_items i
         JOIN catalog.reservations r USING (order_id) WHERE r.status IN ('COMMITTED', 'RESERVED') GROUP BY 1`,
      )
        .trim()
        .split('\n')
        .filter(Boolean)) {
        const [id, n] = line.split('\t');
        held.set(Number(id), Number(n));
      }
      for (const line of psql('SELECT id, stock FROM catalog.products').trim().split('\n')) {
        const [id, stock] = line.split('\t').map(Number) as [number, number];
        const expected = (stockBefore.get(id) ?? 0) - (held.get(id) ?? 0);
        if (stock !== expected) stockMismatches.push(`product ${id}: stock ${stock}, expected ${expected}`);
      }
      const paid = psql(`SELECT count(*) FROM orders.orders WHERE status = 'PAID'`).trim();
      const restartCounts = containersAfter.map((c) => c.RestartCount).reduce((a, b) => a + b, 0);
      console.log(
        `[operations] B: dependency chaos, ${result.totals.requests} requests in ${seconds(result.durationMs)} s` +
          ` (${RATE} journeys/s)\n${table([
            ['fault', 'dependency answers again after s', 'every replica ready after that s (≤ 15)'],
            ...outages.map((o) => [o.action, o.dependencyBackS, o.readyAfterS]),
          ])}\n${table(statusRows(result))}\n${table([
            [
              '503 answers',
              '500 answers',
              'container restarts',
              'orders non-final',
              'PAID orders',
              'PAID not committed',
              'stock mismatches',
            ],
            [
              result.totals.statusCounts['503'] ?? 0,
              result.totals.statusCounts['500'] ?? 0,
              restartCounts,
              `${nonFinal} (after ${finalCheckS} s)`,
              Number(paid),
              paidNotCommitted.length,
              stockMismatches.length,
            ],
          ])}`,
      );
      if (result.errorSamples.length > 0)
        console.log(`[operations] B: error samples\n${JSON.stringify(result.errorSamples, null, 1)}`);
    }, 1_500_000);

    it('restarted no container: every one still runs (or exited 0 as a one-shot step), RestartCount 0', () => {
      for (const c of containersAfter) {
        const svc = c.Config.Labels['com.docker.compose.service'] ?? c.Name;
        expect(c.RestartCount, svc).toBe(0);
        if (/-migrate$|^seed$/.test(svc)) expect(c.State.ExitCode, svc).toBe(0);
        else {
          expect(c.State.Running, svc).toBe(true);
          // Postgres and Redis were restarted on purpose; nothing else started again.
          if (c.Id !== postgres && c.Id !== redis)
            expect(c.State.StartedAt, svc).toBe(startedAtBefore.get(c.Id));
        }
      }
    });

    it('answered no request with 500 (or any 5xx but 503), and the 503s carried Retry-After', () => {
      expect(count5xx(result, ['503'])).toBe(0);
      expect(result.totals.statusCounts['500'] ?? 0).toBe(0);
      // Every 503 was tolerated by tolerateRetryAfter503, i.e. it had Retry-After; nothing else failed.
      expect(result.totals.errorCounts).toEqual({});
    });

    it('had every replica ready again within 15 s of the dependency returning', () => {
      expect(outages).toHaveLength(4);
      for (const o of outages) expect(o.readyAfterS, o.action).toBeLessThanOrEqual(15);
    });

    it('left no order in a non-final state after the payment TTL', () => {
      expect(lateOrders).toEqual([]);
      expect(nonFinal).toBe(0);
    });

    it("committed every PAID order's stock exactly once and nothing else", () => {
      expect(paidNotCommitted).toEqual([]);
      expect(committedNotPaid).toEqual([]);
      expect(stockMismatches).toEqual([]);
    });
  });
});
