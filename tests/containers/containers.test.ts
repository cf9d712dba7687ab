import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getFreePort } from '@shop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  BASE_IMAGE,
  buildImage,
  composeUp,
  ensureEngine,
  GRACE_SECONDS,
  imageName,
  inspectContainer,
  npmCaFile,
  PORTS,
  projectContainers,
  repoRoot,
  run,
  runAsync,
  SERVICES,
  type Service,
  waitFor,
} from './docker.js';

// One engine check for the whole file: on a machine where no Docker engine can be started the suite is
// skipped with the reason printed, everywhere else it runs (and builds the images itself).
const engine = ensureEngine();
if (!engine.available)
  console.warn(`[containers] SKIPPED: no Docker engine can be started here — ${engine.reason}`);
const docker = engine.available ? engine.docker : 'docker';
const composeCmd = engine.available ? engine.compose : ['docker-compose'];

// Unique per run: two runs on one engine (a developer's and CI's) must not remove each other's images.
const TAG = `containertest-${randomBytes(4).toString('hex')}`;
const revision = run('git', ['rev-parse', 'HEAD']).trim();
const composeFile = parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as {
  services: Record<string, Record<string, unknown>>;
};
const envExample = Object.fromEntries(
  readFileSync(path.join(repoRoot, '.env.example'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

function bytes(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

describe.skipIf(!engine.available)('containers', () => {
  const built: string[] = [];

  beforeAll(() => {
    // In sequence from the one root Dockerfile: the first build pays for `npm ci` and the TypeScript
    // build, the next three reuse those stages from the BuildKit cache.
    const ca = npmCaFile();
    for (const svc of SERVICES) {
      const args = ['build', '--progress', 'plain', '-t', imageName(svc, TAG)];
      args.push('--build-arg', `SERVICE=${svc}`, '--build-arg', `PORT=${PORTS[svc]}`);
      if (ca) args.push('--secret', `id=npm_ca,src=${ca}`);
      args.push('--build-arg', `REVISION=${revision}`, '--build-arg', 'VERSION=0.0.0-containertest', '.');
      const started = Date.now();
      run(docker, args, { env: { ...process.env, DOCKER_BUILDKIT: '1' }, timeout: 900_000 });
      built.push(imageName(svc, TAG));
      console.log(
        `[containers] built ${imageName(svc, TAG)} in ${Math.round((Date.now() - started) / 1000)} s`,
      );
    }
    // The compose stack serves the storefront at / (its own test file drives it in a browser).
    built.push(buildImage(docker, 'storefront', TAG, { revision, version: '0.0.0-containertest' }));
  });

  afterAll(() => {
    // Only the tags this file created; BuildKit's cache keeps the layers for the next run.
    if (built.length > 0) run(docker, ['rmi', ...built]);
  });

  describe('service images', () => {
    type Inspect = {
      Size: number;
      Config: {
        User: string;
        Env: string[];
        Cmd: string[];
        Entrypoint: string[] | null;
        Healthcheck?: { Test: string[] };
        Labels: Record<string, string>;
        ExposedPorts: Record<string, unknown>;
      };
    };
    const inspect = (image: string) => JSON.parse(run(docker, ['image', 'inspect', image]))[0] as Inspect;

    it.each(SERVICES)('shop-%s runs as UID/GID 10001 with NODE_ENV=production and node as PID 1', (svc) => {
      const image = inspect(imageName(svc, TAG));
      expect(image.Config.User).toBe('10001:10001');
      expect(image.Config.Env).toContain('NODE_ENV=production');
      expect(image.Config.Entrypoint ?? []).toEqual([]);
      expect(image.Config.Cmd).toEqual([
        'node',
        '--max-semi-space-size=8',
        '--max-old-space-size=160',
        '--import',
        './dist/telemetry.bundle.js',
        'dist/main.bundle.js',
      ]);
      expect(Object.keys(image.Config.ExposedPorts)).toEqual([`${PORTS[svc]}/tcp`]);
      const uid = run(docker, [
        'run',
        '--rm',
        imageName(svc, TAG),
        'node',
        '-p',
        'process.getuid()+":"+process.getgid()',
      ]);
      expect(uid.trim()).toBe('10001:10001');
    });

    it.each(SERVICES)('shop-%s has a curl-free HEALTHCHECK and OCI source/revision/version labels', (svc) => {
      const image = inspect(imageName(svc, TAG));
      // shop-probe (scripts/http-probe.sh, bash /dev/tcp) instead of a node process per check.
      expect(image.Config.Healthcheck?.Test).toEqual(['CMD', 'shop-probe', '/healthz']);
      expect(image.Config.Labels).toMatchObject({
        'org.opencontainers.image.source': expect.stringMatching(/^https:\/\//),
        'org.opencontainers.image.revision': revision,
        'org.opencontainers.image.version': '0.0.0-containertest',
      });
    });

    it.each(SERVICES)('shop-%s contains no development dependency', (svc) => {
      // Every name listed as a devDependency anywhere in the service's workspace graph, minus the ones
      // some production package also depends on (those are legitimately present).
      const manifests = [
        'package.json',
        `services/${svc}/package.json`,
        ...run('git', ['ls-files', 'packages/*/package.json']).trim().split('\n'),
      ].map(
        (f) =>
          JSON.parse(readFileSync(path.join(repoRoot, f), 'utf8')) as Record<string, Record<string, string>>,
      );
      const devDeps = new Set(manifests.flatMap((m) => Object.keys(m.devDependencies ?? {})));
      const script = `
        const fs = require('node:fs'), path = require('node:path');
        const installed = new Set(), prod = new Set(), seen = new Set();
        const refs = (m) => { for (const k of ['dependencies', 'optionalDependencies', 'peerDependencies']) for (const d of Object.keys(m[k] || {})) prod.add(d); };
        const add = (dir, name) => {
          installed.add(name);
          const real = fs.realpathSync(dir);
          if (seen.has(real)) return; seen.add(real);
          try { refs(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))); } catch {}
          walk(path.join(dir, 'node_modules'));
        };
        const walk = (dir) => {
          if (!fs.existsSync(dir)) return;
          for (const e of fs.readdirSync(dir)) {
            if (e.startsWith('.')) continue;
            if (e.startsWith('@')) for (const s of fs.readdirSync(path.join(dir, e))) add(path.join(dir, e, s), e + '/' + s);
            else add(path.join(dir, e), e);
          }
        };
        walk('/app/node_modules');
        console.log(JSON.stringify({ installed: [...installed], prod: [...prod] }));`;
      const { installed, prod } = JSON.parse(
        run(docker, ['run', '--rm', imageName(svc, TAG), 'node', '-e', script]),
      ) as {
        installed: string[];
        prod: string[];
      };
      const devOnly = [...devDeps].filter((d) => !prod.includes(d));
      // The check is only meaningful if the toolchain really is dev-only.
      expect(devOnly).toEqual(expect.arrayContaining(['typescript', '@shop/testing']));
      expect(installed).toContain('@shop/service-kit');
      expect(installed.filter((name) => devOnly.includes(name))).toEqual([]);
    });

    it.each(SERVICES)(
      'shop-%s works on a read-only root filesystem, writing only to /tmp, and carries no secret',
      (svc) => {
        const script = `
        const fs = require('node:fs');
        fs.writeFileSync('/tmp/probe', 'ok');
        let appWritable = true;
        try { fs.writeFileSync('/app/probe', 'x'); } catch { appWritable = false; }
        console.log(JSON.stringify({ tmp: fs.readFileSync('/tmp/probe', 'utf8'), appWritable,
          secret: fs.existsSync('/run/secrets/npm_ca'), npm: fs.existsSync('/usr/local/bin/npm') }));`;
        const out = run(docker, [
          'run',
          '--rm',
          '--read-only',
          '--tmpfs',
          '/tmp',
          '--cap-drop',
          'ALL',
          '--security-opt',
          'no-new-privileges:true',
          imageName(svc, TAG),
          'node',
          '-e',
          script,
        ]);
        expect(JSON.parse(out)).toEqual({ tmp: 'ok', appWritable: false, secret: false, npm: false });
        const history = run(docker, [
          'history',
          '--no-trunc',
          '--format',
          '{{.CreatedBy}}',
          imageName(svc, TAG),
        ]);
        expect(history).not.toMatch(/BEGIN CERTIFICATE|NODE_EXTRA_CA_CERTS=\//);
        expect(inspect(imageName(svc, TAG)).Config.Env.join('\n')).not.toMatch(/NODE_EXTRA_CA_CERTS|npm_ca/);
      },
    );

    it('reports each image size above the node:24-bookworm-slim base', () => {
      const base = inspect(BASE_IMAGE).Size;
      const rows = SERVICES.map((svc) => {
        const size = inspect(imageName(svc, TAG)).Size;
        return { image: `shop-${svc}`, size: bytes(size), aboveBase: bytes(size - base), delta: size - base };
      });
      console.table(rows.map(({ delta: _delta, ...r }) => r));
      console.log(`[containers] base ${BASE_IMAGE}: ${bytes(base)}`);
      for (const r of rows) expect(r.delta).toBeGreaterThan(0);
    });
  });

  describe('docker compose (default profile)', () => {
    const project = `shopct${randomBytes(3).toString('hex')}`;
    const work = mkdtempSync(path.join(tmpdir(), 'shop-compose-'));
    const overridePath = path.join(work, 'ports.override.yml');
    let gatewayPort = 0;
    const servicePorts = {} as Record<Service, number>;
    let env: NodeJS.ProcessEnv = {};
    const compose = (...args: string[]) =>
      run(
        composeCmd[0]!,
        [...composeCmd.slice(1), '-p', project, '-f', 'docker-compose.yml', '-f', overridePath, ...args],
        {
          env,
          timeout: 900_000,
        },
      );
    const gateway = (p: string, init?: RequestInit) => fetch(`http://127.0.0.1:${gatewayPort}${p}`, init);
    const containerOf = async (service: string) => {
      const c = (await projectContainers(project)).find(
        (x) => x.Labels['com.docker.compose.service'] === service,
      );
      if (!c) throw new Error(`no container for ${service}`);
      return c.Id;
    };
    const logsOf = (id: string) => run(docker, ['logs', id], { stdio: ['ignore', 'pipe', 'pipe'] });
    const journey: { token?: string } = {};

    beforeAll(async () => {
      gatewayPort = await getFreePort();
      for (const svc of SERVICES) servicePorts[svc] = await getFreePort();
      // The compose file publishes only the gateway. The graceful-stop checks talk to each service
      // directly, so this test (and only this test) publishes them on loopback through an override.
      const override = {
        services: Object.fromEntries(
          SERVICES.map((svc) => [
            `${svc}-service`,
            { ports: [`127.0.0.1:${servicePorts[svc]}:${PORTS[svc]}`] },
          ]),
        ),
      };
      writeFileSync(overridePath, JSON.stringify(override));
      env = { ...process.env, SHOP_TAG: TAG, GATEWAY_PORT: String(gatewayPort), COMPOSE_HTTP_TIMEOUT: '300' };
      composeUp(compose);
    });

    afterAll(() => {
      // Always, even when `up` or a test failed: containers, networks and the named volumes go.
      try {
        compose('down', '-v', '--remove-orphans', '--timeout', '10');
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });

    it('brings every service to healthy and runs every one-shot step to exit 0', async () => {
      const longRunning = [
        'postgres',
        'redis',
        'otlp-relay',
        'user-service',
        'product-service',
        'order-service',
        'payment-service',
        'storefront',
        'gateway',
      ];
      const oneShots = ['user-migrate', 'product-migrate', 'order-migrate', 'payment-migrate', 'seed'];
      const states = await waitFor(
        'all healthchecks',
        async () => {
          const containers = await projectContainers(project);
          const byService = new Map(containers.map((c) => [c.Labels['com.docker.compose.service']!, c]));
          const details = await Promise.all(
            [...longRunning, ...oneShots].map(async (s) => {
              const c = byService.get(s);
              return [s, c ? await inspectContainer(c.Id) : undefined] as const;
            }),
          );
          const healthy = details.filter(
            ([s, d]) => longRunning.includes(s) && d?.State.Health?.Status === 'healthy',
          );
          return healthy.length === longRunning.length ? details : undefined;
        },
        { timeoutMs: 300_000, intervalMs: 100 },
      );
      for (const [service, detail] of states) {
        if (oneShots.includes(service))
          expect({ service, status: detail?.State.Status, exit: detail?.State.ExitCode }).toEqual({
            service,
            status: 'exited',
            exit: 0,
          });
        else
          expect({ service, health: detail?.State.Health?.Status }).toEqual({ service, health: 'healthy' });
      }
    });

    it('routes /api/v1/{users,products,orders,payments} and the JWKS through the gateway, and hides /internal', async () => {
      const products = await gateway('/api/v1/products');
      expect(products.status).toBe(200);
      const jwks = (await (await gateway('/.well-known/jwks.json')).json()) as { keys: unknown[] };
      expect(jwks.keys.length).toBeGreaterThan(0);
      // Reaching the service is enough here: an unauthenticated call gets the service's own 401.
      for (const p of ['/api/v1/users/me', '/api/v1/orders', '/api/v1/payments']) {
        const res = await gateway(p);
        expect({ p, status: res.status, type: res.headers.get('content-type') }).toEqual({
          p,
          status: 401,
          type: expect.stringContaining('application/problem+json'),
        });
      }
      const internal = await gateway('/internal/v1/reservations', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-internal-token': envExample.INTERNAL_API_TOKEN! },
        body: '{}',
      });
      expect(internal.status).toBe(404);
      // A body beyond nginx's in-memory buffer is spooled to its temp files (on the /tmp tmpfs, the root
      // is read-only) and still reaches the service, which answers with its own problem (400, or 413
      // under its own, smaller limit); beyond the gateway's 1 MiB the gateway answers 413 itself.
      const big = await gateway('/api/v1/users', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          username: 'x'.repeat(300_000),
          email: 'big@example.com',
          password: 'long-enough-password',
        }),
      });
      expect([400, 413]).toContain(big.status);
      expect(big.headers.get('content-type')).toContain('application/problem+json');
      expect(((await big.json()) as { detail?: string }).detail ?? '').not.toMatch(/limited to 1 MiB/);
      const huge = await gateway('/api/v1/users', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'x'.repeat(2_000_000) }),
      });
      expect(huge.status).toBe(413);
      expect(huge.headers.get('content-type')).toContain('application/problem+json');
      expect(((await huge.json()) as { detail: string }).detail).toMatch(/limited to 1 MiB/);
      const unknown = await gateway('/api/v1/no-such-route');
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    });

    it.each(SERVICES)('serves the %s OpenAPI document and Swagger UI through the gateway', async (svc) => {
      const res = await gateway(`/openapi/${svc}.json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/v1/'))).toBe(true);
      const docs = await gateway(`/docs/${svc}/`);
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toContain('text/html');
    });

    it('runs the checkout journey through the gateway: register → login → order → pay tok_success → PAID', async () => {
      const json = { 'content-type': 'application/json' };
      const register = await gateway('/api/v1/users', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          username: 'testuser',
          email: 'testuser@example.com',
          password: 'testpass-1234',
        }),
      });
      expect(register.status).toBe(201);
      // The seed's login payload shape ({"username","password"}), with a policy-compliant password.
      const login = await gateway('/api/v1/users/login', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: 'testuser', password: 'testpass-1234' }),
      });
      expect(login.status).toBe(200);
      const { access_token: token } = (await login.json()) as { access_token: string };
      journey.token = token;

      const order = await gateway('/api/v1/orders', {
        method: 'POST',
        headers: {
          ...json,
          authorization: `Bearer ${token}`,
          'idempotency-key': randomBytes(8).toString('hex'),
        },
        body: JSON.stringify({ product_id: 1, quantity: 2, payment_method: 'tok_success' }),
      });
      const created = (await order.json()) as { id: string; status: string };
      expect(order.status, JSON.stringify(created)).toBe(201);

      const paid = await waitFor(
        `order ${created.id} to be PAID`,
        async () => {
          const res = await gateway(`/api/v1/orders/${created.id}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const body = (await res.json()) as { status: string };
          if (['PAYMENT_FAILED', 'CANCELLED', 'EXPIRED'].includes(body.status)) {
            throw new Error(`order ended ${body.status}`);
          }
          return body.status === 'PAID' ? body : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      expect(paid.status).toBe('PAID');
    });

    // A request whose body is still arriving when SIGTERM lands must be answered before the process
    // exits: the drain waits for in-flight requests and only then closes pools and exits 0.
    const inFlight: Record<
      Service,
      () => Promise<{ path: string; headers: Record<string, string>; body: string }>
    > = {
      user: async () => ({
        path: '/api/v1/users/login',
        headers: {},
        body: JSON.stringify({ username: 'testuser', password: 'testpass-1234' }),
      }),
      product: async () => {
        // Product writes are admin-only: the admin account the user service bootstraps from .env.example.
        const login = await gateway('/api/v1/users/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: envExample.ADMIN_USERNAME, password: envExample.ADMIN_PASSWORD }),
        });
        expect(login.status).toBe(200);
        const { access_token } = (await login.json()) as { access_token: string };
        return {
          path: '/api/v1/products',
          headers: { authorization: `Bearer ${access_token}` },
          body: JSON.stringify({
            sku: `DRAIN-${randomBytes(3).toString('hex').toUpperCase()}`,
            name: 'Drain test product',
            price_amount: 1999,
            currency: 'USD',
            stock: 5,
          }),
        };
      },
      order: async () => ({
        path: '/api/v1/orders',
        headers: {
          authorization: `Bearer ${journey.token}`,
          'idempotency-key': randomBytes(8).toString('hex'),
        },
        body: JSON.stringify({ product_id: 1, quantity: 1 }),
      }),
      payment: async () => ({
        path: '/api/v1/payments',
        headers: {
          'x-internal-token': envExample.INTERNAL_API_TOKEN!,
          'idempotency-key': randomBytes(8).toString('hex'),
        },
        body: JSON.stringify({
          order_id: `drain-${randomBytes(4).toString('hex')}`,
          amount: 1234,
          currency: 'USD',
          payment_method: 'tok_success',
        }),
      }),
    };

    // Stopped in dependency order: the order saga needs product and payment, the product write needs an
    // admin token from the user service.
    const stopOrder: Service[] = ['order', 'product', 'payment', 'user'];
    it.each(stopOrder)(
      'docker stop on %s-service answers the in-flight request, exits 0 and logs the drain',
      async (svc) => {
        const id = await containerOf(`${svc}-service`);
        const req = await inFlight[svc]();
        const body = Buffer.from(req.body);
        const socket = net.connect({ host: '127.0.0.1', port: servicePorts[svc] });
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('error', reject);
        });
        const response = new Promise<string>((resolve, reject) => {
          let data = '';
          socket.setEncoding('utf8');
          socket.on('data', (d) => {
            data += d;
          });
          socket.on('end', () => resolve(data));
          socket.on('error', reject);
        });
        const head = [
          `POST ${req.path} HTTP/1.1`,
          'host: 127.0.0.1',
          'connection: close',
          'content-type: application/json',
          `content-length: ${body.length}`,
          ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`),
          '',
          '',
        ].join('\r\n');
        // Headers and half the body: the service has a request in flight that cannot complete yet.
        socket.write(head);
        socket.write(body.subarray(0, Math.floor(body.length / 2)));
        await new Promise((r) => setTimeout(r, 100));

        const stopped = runAsync(docker, ['stop', '--time', String(GRACE_SECONDS[svc]), id]);
        await waitFor('the drain to start', () => (/shutdown started/.test(logsOf(id)) ? true : undefined), {
          timeoutMs: 20_000,
          intervalMs: 100,
        });
        socket.write(body.subarray(Math.floor(body.length / 2)));
        const raw = await response;
        const { code, output } = await stopped;
        expect(code, output).toBe(0);

        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
        expect(status, raw.slice(0, 500)).toBeGreaterThanOrEqual(200);
        expect(status, raw.slice(0, 500)).toBeLessThan(300);
        const state = await inspectContainer(id);
        const logs = logsOf(id);
        expect(state.State.ExitCode, logs.slice(-3000)).toBe(0);
        const startedAt = logs.indexOf('shutdown started');
        const completedAt = logs.indexOf('shutdown complete');
        expect(startedAt).toBeGreaterThanOrEqual(0);
        expect(completedAt).toBeGreaterThan(startedAt);
        expect(logs).not.toMatch(/deadline exceeded/);
      },
    );
  });

  describe('docker compose (observability profile)', () => {
    it('is a valid configuration with Prometheus, Grafana and Jaeger', () => {
      const config = parse(
        run(composeCmd[0]!, [...composeCmd.slice(1), '--profile', 'observability', 'config'], {
          env: { ...process.env, SHOP_TAG: TAG },
        }),
      ) as { services: Record<string, { image: string; volumes?: Array<string | { source: string }> }> };
      expect(Object.keys(config.services)).toEqual(
        expect.arrayContaining(['prometheus', 'grafana', 'jaeger']),
      );
    });
  });
});

// Static checks of the compose and observability files: no engine needed.
describe('compose and observability files', () => {
  it('publishes only the gateway by default, on 127.0.0.1, with the port overridable by env', () => {
    const published = Object.entries(composeFile.services)
      .filter(([, s]) => s.ports && !s.profiles)
      .map(([name, s]) => [name, s.ports]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a compose variable, not a JS template
    expect(published).toEqual([['gateway', ['${GATEWAY_BIND:-127.0.0.1}:${GATEWAY_PORT:-8080}:8080']]]);
  });

  it('scrapes every service /metrics and loads the five alerts of the blueprint', () => {
    const prom = parse(
      readFileSync(path.join(repoRoot, 'observability/prometheus/prometheus.yml'), 'utf8'),
    ) as {
      rule_files: string[];
      scrape_configs: Array<{
        metrics_path?: string;
        static_configs: Array<{ targets: string[]; labels?: Record<string, string> }>;
      }>;
    };
    const targets = prom.scrape_configs.flatMap((c) =>
      c.static_configs.flatMap((s) =>
        s.targets.map((t) => ({ t, path: c.metrics_path ?? '/metrics', ...s.labels })),
      ),
    );
    for (const svc of SERVICES) {
      expect(targets).toContainEqual({
        t: `${svc}-service:${PORTS[svc]}`,
        path: '/metrics',
        app: `${svc}-service`,
        namespace: 'microservices',
      });
    }
    const alerts = parse(
      readFileSync(path.join(repoRoot, 'observability/prometheus/alerts.yml'), 'utf8'),
    ) as {
      groups: Array<{ rules: Array<{ alert: string }> }>;
    };
    expect(alerts.groups.flatMap((g) => g.rules.map((r) => r.alert))).toEqual([
      'ServiceDown',
      'HighErrorRate',
      'HighLatencyP99',
      'PodRestarting',
      'HPAAtMaxReplicas',
    ]);
    // The blueprint's five alerts, then the SLO burn-rate alerts (observability/prometheus/slo.yml).
    expect(prom.rule_files).toEqual(['/etc/prometheus/alerts.yml', '/etc/prometheus/slo.yml']);
  });

  it('provisions the Prometheus datasource and the Shop dashboard in Grafana', () => {
    const ds = parse(
      readFileSync(
        path.join(repoRoot, 'observability/grafana/provisioning/datasources/datasources.yml'),
        'utf8',
      ),
    ) as { datasources: Array<{ uid: string; url: string }> };
    expect(ds.datasources.map((d) => d.uid)).toEqual(['prometheus', 'jaeger']);
    const dashboard = JSON.parse(
      readFileSync(path.join(repoRoot, 'observability/grafana/dashboards/shop-overview.json'), 'utf8'),
    ) as { panels: Array<{ targets: Array<{ expr: string; datasource: { uid: string } }> }> };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.join('\n')).toMatch(/http_requests_total/);
    expect(exprs.join('\n')).toMatch(/http_request_duration_seconds_bucket/);
    expect(dashboard.panels.flatMap((p) => p.targets.map((t) => t.datasource.uid))).not.toContain(undefined);
  });

  it('runs two replicas of exactly the four services with docker-compose.replicas.yml, publishing nothing more', () => {
    const replicas = parse(readFileSync(path.join(repoRoot, 'docker-compose.replicas.yml'), 'utf8')) as {
      services: Record<string, Record<string, unknown>>;
    };
    expect(replicas.services).toEqual(
      Object.fromEntries(SERVICES.map((s) => [`${s}-service`, { scale: 2 }])),
    );
    // Replicas need no fixed name or published port: the gateway finds them through Docker's DNS.
    for (const svc of SERVICES) {
      const s = composeFile.services[`${svc}-service`]!;
      expect(s.container_name, svc).toBeUndefined();
      expect(s.ports, svc).toBeUndefined();
    }
  });

  it('lets the gateway resolve every replica per request and pass on only what is safe to send again', () => {
    const conf = readFileSync(path.join(repoRoot, 'gateway/default.conf'), 'utf8');
    expect(conf).toMatch(/^resolver 127\.0\.0\.11 valid=1s/m);
    // Server level: nginx's own rule (a POST/PATCH moves on only when it was never sent).
    expect(conf).toMatch(/^ {4}proxy_next_upstream error timeout http_503;$/m);
    // non_idempotent only in the internal location that keyed POSTs and logins are rewritten to.
    const nonIdempotent = conf.split('\n').filter((l) => /^\s*proxy_next_upstream .*non_idempotent/.test(l));
    expect(nonIdempotent).toEqual(['        proxy_next_upstream error http_503 non_idempotent;']);
    const replaySafe = /location \^~ \/_replay_safe\/ \{([^}]*)\}/.exec(conf)?.[1] ?? '';
    expect(replaySafe).toMatch(/\binternal;/);
    expect(replaySafe).toMatch(/non_idempotent/);
    expect(conf).toMatch(/"~\^\(POST\|PATCH\):1:"\s+1;/);
    expect(conf).toMatch(/"POST:0:\/api\/v1\/users\/login"\s+1;/);
    // Every API location sends replay-safe requests there.
    const lines = conf.split('\n');
    for (const loc of ['users', '(products|categories)', 'orders', 'payments']) {
      const at = lines.indexOf(`    location ~ ^/api/v1/${loc}(/|$) {`);
      expect(at, loc).toBeGreaterThan(0);
      expect(lines.slice(at + 1, at + 4), loc).toContain(
        '        if ($shop_replay_safe) { rewrite ^ /_replay_safe$uri last; }',
      );
    }
  });

  it('gives each service the stop_grace_period of its terminationGracePeriodSeconds and a shorter kit deadline', () => {
    for (const svc of SERVICES) {
      const s = composeFile.services[`${svc}-service`] as {
        stop_grace_period: string;
        environment: Record<string, string>;
        read_only: boolean;
        cap_drop: string[];
        security_opt: string[];
        tmpfs: string[];
      };
      expect(s.stop_grace_period).toBe(`${GRACE_SECONDS[svc]}s`);
      // …and the same number the Kubernetes Deployment uses, where the manifests are present.
      const deployment = path.join(repoRoot, `k8s/base/services/${svc}/deployment.yaml`);
      if (existsSync(deployment)) {
        const grace = /terminationGracePeriodSeconds:\s*(\d+)/.exec(readFileSync(deployment, 'utf8'))?.[1];
        expect(Number(grace)).toBe(GRACE_SECONDS[svc]);
      }
      expect(Number(s.environment.SHUTDOWN_TIMEOUT_MS)).toBeLessThan(GRACE_SECONDS[svc] * 1000);
      expect(s).toMatchObject({
        read_only: true,
        cap_drop: ['ALL'],
        security_opt: ['no-new-privileges:true'],
        tmpfs: ['/tmp'],
      });
    }
  });
});
