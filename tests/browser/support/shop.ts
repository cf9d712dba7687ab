/// <reference lib="dom" />
// One shop per test file: the four real services (as the e2e suite starts them), the built storefront
// behind a production-like static server, and Debian's Chromium driven by playwright-core.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startTcpProxy, type TcpProxy } from '@shop/testing';
import axe from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { api } from '../../e2e/support/client.js';
import { ADMIN, type Stack, startStack } from '../../e2e/support/stack.js';
import {
  repoRoot,
  type StorefrontServer,
  startStorefrontServer,
  storefrontDist,
} from './storefront-server.js';

/** Debian's chromium (`apt-get install -y chromium`); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM_PATH);
const INSTALL_HINT = 'apt-get install -y chromium (or set CHROMIUM_PATH); .ci/run installs it';
// A developer's run without Chromium skips the browser suites with the hint; under CI (CI=true) a
// missing browser fails the run instead of passing it silently.
if (!chromiumAvailable && process.env.CI) {
  throw new Error(`no Chromium at ${CHROMIUM_PATH} on this CI machine: ${INSTALL_HINT}`);
}
if (!chromiumAvailable) console.warn(`[browser] SKIPPED: no Chromium at ${CHROMIUM_PATH} — ${INSTALL_HINT}`);

/** The flags of the issue; playwright-core adds a fresh temporary --user-data-dir to every launch. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Screenshots and other artefacts (gitignored). */
export const ARTIFACTS = path.join(repoRoot, 'test-results/browser');

export const PASSWORD = 'correct horse battery staple';
const run = Date.now().toString(36);
let seq = 0;
/** A name unique in this run (usernames; products whose search must find exactly one). */
export const unique = (label: string) => `${label}${run}${++seq}`;

export interface Shop {
  stack: Stack;
  server: StorefrontServer;
  /** Sits between the storefront and the product service: `stop()` is a real outage, `start()` ends it. */
  productLink: TcpProxy;
  browser: Browser;
  base: string;
  adminToken: string;
  /** A new isolated browser profile (cookies, storage) with the recorders below. */
  newContext(options?: { width?: number; height?: number }): Promise<BrowserContext>;
  newPage(context: BrowserContext): Promise<Page>;
  close(): Promise<void>;
}

export async function startShop(
  options: { orderTtlSeconds?: number; env?: Parameters<typeof startStack>[0]['env'] } = {},
): Promise<Shop> {
  if (!existsSync(path.join(storefrontDist, 'index.html'))) {
    throw new Error('services/storefront/dist is missing: run "npm run build" (turbo builds it before test)');
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const stack = await startStack({ orderTtlSeconds: options.orderTtlSeconds ?? 300, env: options.env });
  const productLink = await startTcpProxy({ port: stack.ports.product });
  const server = await startStorefrontServer({
    user: stack.url('user'),
    product: `http://127.0.0.1:${productLink.port}`,
    order: stack.url('order'),
    payment: stack.url('payment'),
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  const login = await api(stack.url('user'), 'POST', '/api/v1/users/login', {
    body: { username: ADMIN.username, password: ADMIN.password },
  });
  const contexts: BrowserContext[] = [];
  return {
    stack,
    server,
    productLink,
    browser,
    base: server.url,
    adminToken: login.body.access_token as string,
    async newContext({ width = 1280, height = 800 } = {}) {
      const context = await browser.newContext({ viewport: { width, height }, baseURL: server.url });
      contexts.push(context);
      return context;
    },
    async newPage(context) {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await page.addInitScript(() => {
        const w = window as unknown as { __csp: string[] };
        w.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => {
          w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
        });
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      scriptErrors.set(page, errors);
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await server.close();
      await productLink.close();
      await stack.stop();
    },
  };
}

const scriptErrors = new WeakMap<Page, string[]>();

/** No script errors and no Content-Security-Policy violations happened on this page. */
export async function expectCleanPage(page: Page): Promise<void> {
  const csp = await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
  expect(csp, 'CSP violations').toEqual([]);
  expect(scriptErrors.get(page) ?? [], 'page errors').toEqual([]);
}

/** axe-core (WCAG 2.0/2.1 A and AA rules) on the current page: no violations. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  // Evaluated through the DevTools protocol: the page's CSP (no inline scripts) stays in force.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const a = (window as unknown as { axe: typeof axe }).axe;
    const result = await a.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  });
  expect(violations, `axe violations on ${label}`).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Admin API calls for fixtures (products, categories) and for checking what the UI did. */
export function adminApi(shop: Shop) {
  const product = (method: string, p: string, body?: unknown) =>
    api(shop.stack.url('product'), method, p, { token: shop.adminToken, body });
  return {
    async createProduct(
      name: string,
      stock: number,
      price = 1299,
      categoryId?: number,
      description?: string,
    ) {
      const res = await product('POST', '/api/v1/products', {
        sku: `SF-${name.replace(/\W+/g, '-')}`.slice(0, 64),
        name,
        description: description ?? `${name}: a product of the storefront browser suite.`,
        price_amount: price,
        currency: 'USD',
        stock,
        ...(categoryId ? { category_id: categoryId } : {}),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body as { id: number; name: string; stock: number; price_amount: number };
    },
    async createCategory(name: string) {
      const res = await product('POST', '/api/v1/categories', {
        slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
        name,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body as { id: number; name: string };
    },
    async stockOf(id: number): Promise<number> {
      const res = await product('GET', `/api/v1/products/${id}`);
      expect(res.status).toBe(200);
      return res.body.stock as number;
    },
    /** Orders of a user, read with their own token (JSON login, not the browser's session). */
    async ordersOf(username: string) {
      const login = await api(shop.stack.url('user'), 'POST', '/api/v1/users/login', {
        body: { username, password: PASSWORD },
      });
      const res = await api(shop.stack.url('order'), 'GET', '/api/v1/orders?limit=100', {
        token: login.body.access_token as string,
      });
      expect(res.status).toBe(200);
      return res.body.items as Array<{ id: string; status: string }>;
    },
  };
}
