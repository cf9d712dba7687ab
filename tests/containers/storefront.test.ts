/// <reference lib="dom" />
// The storefront as `docker compose up` ships it: the nginx image (non-root, read-only root) behind the
// gateway at /, and journey 1 driven in Chromium through the gateway against the compose stack.
import { randomBytes } from 'node:crypto';
import { getFreePort } from '@shop/testing';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM_FLAGS,
  CHROMIUM_PATH,
  chromiumAvailable,
  PASSWORD,
  unique,
} from '../browser/support/shop.js';
import { cachePolicy, securityHeaders } from '../browser/support/storefront-server.js';
import {
  addToCart,
  checkout,
  login,
  logout,
  register,
  searchAndOpen,
  waitForStatus,
} from '../browser/support/storefront-ui.js';
import {
  buildImage,
  composeUp,
  ensureEngine,
  imageName,
  inspectContainer,
  projectContainers,
  run,
  SERVICES,
  waitFor,
} from './docker.js';

const engine = ensureEngine();
const docker = engine.available ? engine.docker : 'docker';
const composeCmd = engine.available ? engine.compose : ['docker-compose'];
const TAG = `storefronttest-${randomBytes(4).toString('hex')}`;
const PRODUCT = 'Mechanical Keyboard';

describe.skipIf(!engine.available || !chromiumAvailable)('storefront on the compose stack', () => {
  const project = `shopsf${randomBytes(3).toString('hex')}`;
  const built: string[] = [];
  let gatewayPort = 0;
  let env: NodeJS.ProcessEnv = {};
  let browser: Browser | undefined;
  const base = () => `http://localhost:${gatewayPort}`;
  const compose = (...args: string[]) =>
    run(composeCmd[0]!, [...composeCmd.slice(1), '-p', project, '-f', 'docker-compose.yml', ...args], {
      env,
      timeout: 900_000,
    });
  const api = async (p: string) => {
    const res = await fetch(`http://127.0.0.1:${gatewayPort}${p}`);
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    // From the BuildKit cache when the main container suite built the same sources just before.
    const revision = run('git', ['rev-parse', 'HEAD']).trim();
    for (const image of [...SERVICES, 'storefront'] as const) {
      built.push(buildImage(docker, image, TAG, { revision, version: '0.0.0-storefronttest' }));
    }
    gatewayPort = await getFreePort();
    env = { ...process.env, SHOP_TAG: TAG, GATEWAY_PORT: String(gatewayPort), COMPOSE_HTTP_TIMEOUT: '300' };
    composeUp(compose);
    await waitFor(
      'the gateway (and through depends_on the services and the storefront) to be healthy',
      async () => {
        const gateway = (await projectContainers(project)).find(
          (c) => c.Labels['com.docker.compose.service'] === 'gateway',
        );
        return gateway && (await inspectContainer(gateway.Id)).State.Health?.Status === 'healthy'
          ? true
          : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 250 },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    try {
      compose('down', '-v', '--remove-orphans', '--timeout', '10');
    } finally {
      if (built.length > 0) run(docker, ['rmi', ...built]);
    }
  });

  it('runs the storefront as UID 10001 on a read-only root filesystem with all capabilities dropped', async () => {
    const container = (await projectContainers(project)).find(
      (c) => c.Labels['com.docker.compose.service'] === 'storefront',
    )!;
    const detail = JSON.parse(run(docker, ['inspect', container.Id]))[0] as {
      Config: { User: string; Image: string };
      HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[] };
      State: { Health?: { Status: string } };
    };
    expect(detail.Config.Image).toBe(imageName('storefront', TAG));
    expect(detail.Config.User).toBe('10001:10001');
    expect(detail.HostConfig.ReadonlyRootfs).toBe(true);
    expect(detail.HostConfig.CapDrop).toEqual(['ALL']);
    expect(detail.State.Health?.Status).toBe('healthy');
  });

  it('serves the storefront at / through the gateway with the CSP, long-cached gzip assets and API 404s', async () => {
    const shell = await fetch(`${base()}/orders/some-client-side-route`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-type')).toMatch(/^text\/html/);
    for (const [name, value] of Object.entries(securityHeaders()))
      expect(shell.headers.get(name), name).toBe(value);
    expect(shell.headers.get('cache-control')).toBe(cachePolicy().shell);
    const html = await shell.text();
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"><\/script>/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(html).not.toMatch(/<script>(?!<\/script>)|<script type="module">/);

    const asset = await fetch(`${base()}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect(asset.headers.get('content-security-policy')).toBe(securityHeaders()['Content-Security-Policy']);

    const unknownApi = await api('/api/v1/no-such-route');
    expect(unknownApi.status).toBe(404);
    expect(unknownApi.headers.get('content-type')).toContain('application/problem+json');
  });

  it('journey 1 through the gateway: register → login → search → product → 2 in the cart → tok_success → PAID, stock −2', async () => {
    const search = await api(`/api/v1/products?q=${encodeURIComponent(PRODUCT)}`);
    const product = (search.body.items as Array<{ id: number; name: string; stock: number }>).find(
      (p) => p.name === PRODUCT,
    )!;
    expect(product.stock).toBeGreaterThanOrEqual(2);

    const context = await browser!.newContext({ baseURL: base(), viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const username = unique('composer');
    await register(page, username);
    await logout(page);
    await login(page, username, PASSWORD);
    await searchAndOpen(page, PRODUCT, PRODUCT);
    await addToCart(page, 2);
    const orderId = await checkout(page, 'Test card that pays');
    await waitForStatus(page, 'PAID', 30_000);
    // A reload keeps the session: the compose refresh cookie works over plain HTTP on localhost.
    await page.reload();
    await waitForStatus(page, 'PAID');
    expect(await page.getByTestId('order-id').textContent()).toBe(orderId);

    await waitFor(
      'stock to drop by 2',
      async () => {
        const now = await api(`/api/v1/products/${product.id}`);
        return now.body.stock === product.stock - 2 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await context.close();
  });
});
