// Journeys 1–3 of the storefront in real Chromium against the four real services: a checkout that pays
// (also on a 375 px phone), one that is declined, and a double click / lost answer on "Place order".

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../e2e/support/client.js';
import {
  adminApi,
  chromiumAvailable,
  expectAccessible,
  expectCleanPage,
  type Shop,
  screenshot,
  startShop,
  unique,
} from './support/shop.js';
import {
  addToCart,
  checkout,
  expectNoHorizontalScroll,
  login,
  logout,
  register,
  searchAndOpen,
  waitForStatus,
} from './support/storefront-ui.js';

describe.skipIf(!chromiumAvailable)('storefront checkout in Chromium', () => {
  let shop: Shop;
  let admin: ReturnType<typeof adminApi>;

  beforeAll(async () => {
    shop = await startShop();
    admin = adminApi(shop);
  });

  afterAll(async () => {
    await shop?.close();
  });

  /** Journey 1: register → login → search → product → 2 in the cart → tok_success → PAID, stock −2. */
  async function journeyOne(viewport: { width: number; height: number }, label: string) {
    const name = unique('Teapot');
    const product = await admin.createProduct(name, 50, 2499);
    const context = await shop.newContext(viewport);
    const page = await shop.newPage(context);
    const username = unique('shopper');

    await register(page, username);
    await logout(page);
    await login(page, username);
    await searchAndOpen(page, name, name);
    expect(await page.getByTestId('price').textContent()).toBe('$24.99');
    expect(await page.getByTestId('stock').textContent()).toBe('50 in stock');
    if (viewport.width <= 375) await expectNoHorizontalScroll(page);
    await addToCart(page, 2);
    expect(await page.getByTestId('cart-link').textContent()).toMatch(/Cart \(2\)/);

    const orderId = await checkout(page, 'Test card that pays');
    await waitForStatus(page, 'PAID');
    expect(await page.getByTestId('order-outcome').textContent()).toMatch(/payment went through/);
    expect(await page.getByTestId('order-total').textContent()).toBe('$49.98');
    if (viewport.width <= 375) await expectNoHorizontalScroll(page);
    await expectCleanPage(page);

    // The paid order committed the reservation: the catalog has two fewer.
    await eventually(async () => ((await admin.stockOf(product.id)) === 48 ? true : undefined), 'stock 48');
    await page.goto(`/products/${product.id}`);
    expect(await page.getByTestId('stock').textContent()).toBe('48 in stock');
    const orders = await admin.ordersOf(username);
    expect(orders.map((o) => [o.id, o.status])).toEqual([[orderId, 'PAID']]);
    await context.close();
    return { label, orderId };
  }

  it('1. register → login → search → product → add 2 → checkout with tok_success → PAID, stock −2', async () => {
    await journeyOne({ width: 1280, height: 800 }, 'desktop');
  });

  it('1 on a 375 px phone: the same journey, nothing wider than the screen', async () => {
    await journeyOne({ width: 375, height: 812 }, 'phone');
  });

  it('2. tok_decline → the page shows the failed payment and the stock is back', async () => {
    const name = unique('Kettle');
    const product = await admin.createProduct(name, 10, 3999);
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    await register(page, unique('decliner'));
    await page.goto(`/products/${product.id}`);
    await addToCart(page, 3);
    await checkout(page, 'Test card that is declined');
    await waitForStatus(page, 'PAYMENT_FAILED');
    expect(await page.getByTestId('order-outcome').textContent()).toMatch(/did not go through/);
    expect(await page.locator('.order-status').textContent()).toMatch(/Reason: /);
    await expectAccessible(page, 'order page (payment failed)');
    await screenshot(page, 'order-payment-failed');
    await expectCleanPage(page);
    await eventually(
      async () => ((await admin.stockOf(product.id)) === 10 ? true : undefined),
      'stock back to 10',
    );
    await context.close();
  });

  it('3. a double click on "Place order" makes exactly one order', async () => {
    const name = unique('Spoon');
    const product = await admin.createProduct(name, 20, 499);
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    const username = unique('doubleclick');
    await register(page, username);
    await page.goto(`/products/${product.id}`);
    await addToCart(page, 1);
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/orders'))
        posts.push(r.headers()['idempotency-key'] ?? '');
    });
    const orderId = await checkout(page, 'Test card that pays', (button) => button.dblclick());
    await waitForStatus(page, 'PAID');
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect((await admin.ordersOf(username)).map((o) => o.id)).toEqual([orderId]);
    await context.close();
  });

  it('3b. an answer lost on the way back is retried with the same Idempotency-Key: still one order', async () => {
    const name = unique('Ladle');
    const product = await admin.createProduct(name, 20, 799);
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    const username = unique('lostanswer');
    await register(page, username);
    await page.goto(`/products/${product.id}`);
    await addToCart(page, 2);
    // The first order request reaches the order service (which makes the order), but its answer never
    // reaches the page; the storefront retries the same attempt and gets the same order back.
    const keys: string[] = [];
    await page.route('**/api/v1/orders', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length === 1) {
        await route.fetch();
        await route.abort('connectionreset');
      } else await route.continue();
    });
    const orderId = await checkout(page, 'Test card that pays');
    await waitForStatus(page, 'PAID');
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect((await admin.ordersOf(username)).map((o) => o.id)).toEqual([orderId]);
    await eventually(async () => ((await admin.stockOf(product.id)) === 18 ? true : undefined), 'stock 18');
    await context.close();
  });
});
