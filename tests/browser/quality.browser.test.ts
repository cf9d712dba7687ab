/// <reference lib="dom" />
// The quality bar of a real shop, measured in Chromium: axe-core on every page, the initial load
// budget and cache headers, CSP without violations, keyboard use, readable errors (field errors, 409,
// 429, 503 with retry) and the screenshots the README shows.
import type { Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../e2e/support/client.js';
import { ADMIN } from '../e2e/support/stack.js';
import {
  adminApi,
  chromiumAvailable,
  expectAccessible,
  expectCleanPage,
  PASSWORD,
  type Shop,
  screenshot,
  startShop,
  unique,
} from './support/shop.js';
import { cachePolicy, securityHeaders } from './support/storefront-server.js';
import { addToCart, checkout, login, register, tabTo, waitForStatus } from './support/storefront-ui.js';

/** The budget for everything the first visit downloads (compressed bytes on the wire). */
const INITIAL_LOAD_BUDGET = 200 * 1024;

describe.skipIf(!chromiumAvailable)('storefront quality in Chromium', () => {
  let shop: Shop;
  let admin: ReturnType<typeof adminApi>;
  let teapot: { id: number; name: string };
  let kettle: { id: number; name: string };

  beforeAll(async () => {
    shop = await startShop();
    admin = adminApi(shop);
    // A small, realistic catalog (this file has its own database): what the screenshots show.
    const kitchen = await admin.createCategory('Kitchen');
    const tea = await admin.createCategory('Tea & coffee');
    await admin.createCategory('Tableware');
    teapot = await admin.createProduct(
      'Stoneware teapot',
      24,
      3450,
      tea.id,
      'A 1.2 litre teapot in glazed stoneware with a removable steel infuser. Keeps tea hot for an hour.',
    );
    kettle = await admin.createProduct(
      'Enamel kettle',
      12,
      4900,
      kitchen.id,
      'Stovetop kettle, 2 litres, enamelled steel.',
    );
    await admin.createProduct('Linen tea towel', 80, 1200, kitchen.id, 'Stonewashed linen, 50 × 70 cm.');
    await admin.createProduct('Ceramic mug', 150, 1450, tea.id, 'Hand-glazed, 350 ml, dishwasher safe.');
    await admin.createProduct(
      'Pour-over coffee dripper',
      40,
      2200,
      tea.id,
      'Porcelain dripper for size 02 filters.',
    );
  });

  afterAll(async () => {
    await shop?.close();
  });

  it('loads the home page within 200 KB compressed, with hashed assets cached for a year and the CSP on', async () => {
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    const responses: Response[] = [];
    page.on('response', (r) => responses.push(r));
    const document = await page.goto('/');
    await page.getByRole('heading', { name: 'New arrivals' }).waitFor();
    await page.getByRole('link', { name: 'Stoneware teapot' }).waitFor();
    await page.waitForLoadState('networkidle');

    const sizes = await Promise.all(
      responses.map(async (r) => {
        const s = await r.request().sizes();
        return { url: r.url(), bytes: s.responseBodySize + s.responseHeadersSize };
      }),
    );
    const total = sizes.reduce((n, s) => n + s.bytes, 0);
    console.log(
      `[browser] initial load: ${responses.length} responses, ${(total / 1024).toFixed(1)} KB on the wire`,
    );
    expect(total).toBeLessThanOrEqual(INITIAL_LOAD_BUDGET);

    const policy = cachePolicy();
    const headers = await document!.allHeaders();
    expect(headers).toMatchObject(
      Object.fromEntries(Object.entries(securityHeaders()).map(([k, v]) => [k.toLowerCase(), v])),
    );
    expect(headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    expect(headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(headers['cache-control']).toBe(policy.shell);
    const assets = responses.filter((r) => new URL(r.url()).pathname.startsWith('/assets/'));
    expect(assets.map((r) => new URL(r.url()).pathname)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/assets\/index-[\w-]{8}\.js$/),
        expect.stringMatching(/\.css$/),
      ]),
    );
    for (const asset of assets) {
      const h = await asset.allHeaders();
      expect(h['cache-control'], asset.url()).toBe('public, max-age=31536000, immutable');
      expect(h['content-encoding'], asset.url()).toBe('gzip');
      expect(h['content-security-policy'], asset.url()).toBe(headers['content-security-policy']);
    }
    // Shoppers never download the admin pages.
    expect(responses.some((r) => r.url().includes('admin'))).toBe(false);
    await expectCleanPage(page);
    await context.close();
  });

  it('7. axe-core finds no WCAG 2.1 A/AA violation on any page', async () => {
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    const visit = async (path: string, ready: (p: Page) => Promise<unknown>, label = path) => {
      await page.goto(path);
      await ready(page);
      await expectAccessible(page, label);
    };
    const h1 = (name: string) => (p: Page) => p.getByRole('heading', { level: 1, name }).waitFor();

    await visit('/', (p) => p.getByRole('link', { name: 'Stoneware teapot' }).waitFor(), 'home');
    await visit('/search?q=tea', (p) => p.locator('.product-card').first().waitFor(), 'search results');
    await visit(
      '/search?q=nothingmatchesthis',
      (p) => p.getByText('No products match.').waitFor(),
      'no results',
    );
    await visit(`/products/${teapot.id}`, h1('Stoneware teapot'), 'product');
    await visit('/products/999999', (p) => p.getByRole('alert').waitFor(), 'unknown product');
    await visit('/cart', h1('Your cart'), 'empty cart');
    await visit('/login', h1('Log in'));
    await visit('/register', h1('Create an account'));
    await visit('/no/such/page', h1('Page not found'));

    // Forms with server-side errors next to their fields.
    await page.goto('/register');
    await page.getByLabel('Username').fill('x');
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    // The first invalid field gets its message next to it, linked by aria-describedby.
    await page.locator('#field-username-error').waitFor();
    expect(await page.getByLabel('Username').getAttribute('aria-describedby')).toContain(
      'field-username-error',
    );
    await expectAccessible(page, 'register with field errors');
    await page.goto('/login');
    await page.getByLabel('Username or email').fill('nobody');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    await expectAccessible(page, 'login error');

    const username = unique('axe');
    await register(page, username);
    await page.goto(`/products/${kettle.id}`);
    await addToCart(page, 1);
    await expectAccessible(page, 'product with the added-to-cart notice');
    await visit('/cart', (p) => p.locator('.cart-line').waitFor(), 'cart with items');
    await visit('/checkout', h1('Checkout'));
    await page.getByRole('button', { name: 'Place order' }).click();
    await waitForStatus(page, 'PAID');
    await expectAccessible(page, 'order (paid)');
    await visit('/orders', (p) => p.locator('.order-row').waitFor(), 'orders');
    await visit('/admin', (p) => p.getByRole('alert').waitFor(), 'admin (as a customer)');

    await page.getByRole('button', { name: 'Log out' }).click();
    await login(page, ADMIN.username, ADMIN.password);
    await visit('/admin', (p) => p.getByRole('table').waitFor(), 'admin');
    await visit('/admin/products/new', h1('Create a product'));
    await visit(`/admin/products/${teapot.id}`, h1('Edit Stoneware teapot'));
    await visit('/admin/reconciliation', h1('Reconciliation'));
    await expectCleanPage(page);
    await context.close();
  });

  it('8. screenshots of the home, product and order pages (desktop and phone) are saved', async () => {
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    await page.goto('/');
    await page.getByRole('link', { name: 'Pour-over coffee dripper' }).waitFor();
    const files = [await screenshot(page, 'home')];
    await page.goto(`/products/${teapot.id}`);
    await page.getByTestId('stock').waitFor();
    await addToCart(page, 2);
    files.push(await screenshot(page, 'product'));
    await register(page, 'alex.shopper');
    await checkout(page, 'Test card that pays');
    await waitForStatus(page, 'PAID');
    files.push(await screenshot(page, 'order'));

    const phone = await shop.newContext({ width: 375, height: 812 });
    const small = await shop.newPage(phone);
    await small.goto('/');
    await small.getByRole('link', { name: 'Ceramic mug' }).waitFor();
    files.push(await screenshot(small, 'home-375px'));
    console.log(`[browser] screenshots: ${files.join(', ')}`);
    await context.close();
    await phone.close();
  });

  it('is usable with the keyboard alone: skip link, search, product, add to cart', async () => {
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    await page.goto('/');
    await page.getByRole('link', { name: 'Ceramic mug' }).waitFor();
    const skip = await tabTo(page, (el) => el.text === 'Skip to content', 1);
    expect(skip.tag).toBe('a');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');

    // From the top of a fresh page: skip link, logo, then the search field.
    await page.goto('/');
    await page.getByRole('link', { name: 'Ceramic mug' }).waitFor();
    await tabTo(page, (el) => el.label === 'Search products', 3);
    await page.keyboard.type('coffee dripper');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Results for “coffee dripper”' }).waitFor();
    await tabTo(page, (el) => el.text === 'Pour-over coffee dripper');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Pour-over coffee dripper' }).waitFor();
    // After a navigation the focus moves to the new page's heading (screen readers announce it); the
    // page moves it in an effect right after it renders.
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1', undefined, { timeout: 5000 });
    await tabTo(page, (el) => el.label === 'Quantity');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('3');
    await tabTo(page, (el) => el.text === 'Add to cart', 2);
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Added 3 × Pour-over coffee dripper' }).waitFor();
    expect(await page.getByTestId('cart-link').textContent()).toMatch(/Cart \(3\)/);
    await context.close();
  });

  it('shows 503 with a retry while the catalog is down, and the page recovers with "Try again"', async () => {
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    await shop.productLink.stop();
    try {
      await page.goto('/search?q=kettle');
      const alert = page.getByRole('alert').filter({ hasText: 'The shop is busy or briefly unavailable.' });
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/Try again in 5 seconds\./);
      await expectAccessible(page, 'search during an outage');
    } finally {
      await shop.productLink.start();
    }
    await page.getByRole('button', { name: 'Try again' }).first().click();
    await page.getByRole('link', { name: 'Enamel kettle' }).waitFor();
    await context.close();
  });

  it('says how long to wait after too many failed logins (429 with Retry-After)', async () => {
    const username = unique('locked');
    const reg = await api(shop.stack.url('user'), 'POST', '/api/v1/users', {
      body: { username, email: `${username}@example.com`, password: PASSWORD },
    });
    expect(reg.status).toBe(201);
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    await page.goto('/login');
    const attempt = async (password: string) => {
      await page.getByLabel('Username or email').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      return page.getByRole('alert').first();
    };
    // The user service allows 5 failures per username in its window, then answers 429 + Retry-After.
    for (let i = 0; i < 5; i++) {
      const alert = await attempt('not the password');
      await alert.filter({ hasText: 'The username or password is not right.' }).waitFor();
    }
    const limited = await attempt(PASSWORD);
    await limited
      .filter({ hasText: /Too many attempts\. Please wait \d+ (minutes|seconds?) and try again\./ })
      .waitFor();
    await context.close();
  });

  it('shows an out-of-stock refusal at checkout, and the stock left next to the line', async () => {
    const product = await admin.createProduct(unique('Last teacup'), 2, 900);
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    const username = unique('latecomer');
    await register(page, username);
    await page.goto(`/products/${product.id}`);
    await addToCart(page, 2);
    // Someone else bought one meanwhile.
    const current = await api(shop.stack.url('product'), 'GET', `/api/v1/products/${product.id}`);
    const res = await api(shop.stack.url('product'), 'PATCH', `/api/v1/products/${product.id}`, {
      token: shop.adminToken,
      headers: { 'if-match': current.headers.get('etag')! },
      body: { stock: 1 },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await page.getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('link', { name: 'Go to checkout' }).click();
    await page.getByText('Only 1 left in stock.').waitFor();
    await page.getByRole('button', { name: 'Place order' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'Some items are no longer in stock in the quantity you asked for.' })
      .waitFor();
    await expectAccessible(page, 'checkout refused for stock');
    expect(await admin.ordersOf(username)).toEqual([]);
    await context.close();
  });
});
