/// <reference lib="dom" />
// The journeys of the storefront in real Chromium against the four real services: 1–3 checkouts (paid,
// also on a 375 px phone; declined; a double click / lost answer on "Place order"), 4 the session across
// reloads (silent refresh, logout), 5 order privacy, order history and refunds, 6 the admin pages.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually } from '../e2e/support/client.js';
import { ADMIN } from '../e2e/support/stack.js';
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
  expectSignedIn,
  login,
  logout,
  register,
  searchAndOpen,
  waitForStatus,
} from './support/storefront-ui.js';

const refreshCookie = async (context: BrowserContext) =>
  (await context.cookies()).find((c) => c.name === 'shop_refresh');

async function storageText(page: Page): Promise<string> {
  return page.evaluate(() =>
    JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }),
  );
}

describe.skipIf(!chromiumAvailable)('storefront journeys in Chromium', () => {
  let shop: Shop;
  let admin: ReturnType<typeof adminApi>;

  beforeAll(async () => {
    // tok_async confirms after 3 s here, long enough to watch the status page change by itself.
    shop = await startShop({ env: { payment: { SANDBOX_ASYNC_DELAY_MS: '3000' } } });
    admin = adminApi(shop);
  });

  afterAll(async () => {
    await shop?.close();
  });

  /** A new shopper (own browser profile), registered, with `quantity` of a fresh product in the cart. */
  async function shopperWithCart(label: string, stock: number, price: number, quantity: number) {
    const product = await admin.createProduct(unique(label), stock, price);
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    const username = unique(label.toLowerCase());
    await register(page, username);
    await page.goto(`/products/${product.id}`);
    await addToCart(page, quantity);
    return { product, context, page, username };
  }

  /** The catalog's stock reaches `value` (the reservation is committed or released by events). */
  const stockBecomes = (id: number, value: number) =>
    eventually(async () => ((await admin.stockOf(id)) === value ? true : undefined), `stock ${value}`);

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
    await stockBecomes(product.id, 48);
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
    const { product, context, page } = await shopperWithCart('Kettle', 10, 3999, 3);
    await checkout(page, 'Test card that is declined');
    await waitForStatus(page, 'PAYMENT_FAILED');
    expect(await page.getByTestId('order-outcome').textContent()).toMatch(/did not go through/);
    expect(await page.locator('.order-status').textContent()).toMatch(/Reason: /);
    await expectAccessible(page, 'order page (payment failed)');
    await screenshot(page, 'order-payment-failed');
    await expectCleanPage(page);
    await stockBecomes(product.id, 10);
    await context.close();
  });

  it('2b. tok_async: the status page shows AWAITING_PAYMENT, then turns PAID by itself', async () => {
    const { context, page } = await shopperWithCart('Whisk', 10, 1500, 1);
    await checkout(page, 'Test card confirmed later');
    await waitForStatus(page, 'AWAITING_PAYMENT');
    expect(await page.getByTestId('order-outcome').textContent()).toMatch(/updates by itself/);
    await waitForStatus(page, 'PAID');
    expect(await page.getByTestId('order-outcome').textContent()).toMatch(/payment went through/);
    await context.close();
  });

  it('3. a double click on "Place order" makes exactly one order', async () => {
    const { context, page, username } = await shopperWithCart('Spoon', 20, 499, 1);
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
    const { product, context, page, username } = await shopperWithCart('Ladle', 20, 799, 2);
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
    await stockBecomes(product.id, 18);
    await context.close();
  });

  it('4. a reload keeps you logged in (refresh token only in an HttpOnly cookie); logout ends the session', async () => {
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    const username = unique('reloader');
    await register(page, username);

    const cookie = (await refreshCookie(context))!;
    expect(cookie).toMatchObject({ path: '/api/v1/users', httpOnly: true, secure: true, sameSite: 'Strict' });
    // Neither the refresh token nor the access token is readable by scripts.
    const stored = await storageText(page);
    expect(stored).not.toContain(cookie.value);
    expect(stored).not.toMatch(/eyJ[\w-]+\.eyJ/);
    expect(stored).not.toContain('shop_refresh');

    await page.goto('/orders');
    await page.getByText('No orders yet.').waitFor();
    await page.reload();
    await expectSignedIn(page, username);
    await page.getByText('No orders yet.').waitFor();
    // The reload rotated the cookie (one refresh per page load).
    const rotated = (await refreshCookie(context))!;
    expect(rotated.value).not.toBe(cookie.value);

    await logout(page);
    expect(await refreshCookie(context)).toBeUndefined();
    await page.reload();
    await page.getByRole('link', { name: 'Log in' }).waitFor();
    await page.goto('/orders');
    await page.getByRole('alert').filter({ hasText: 'Please log in to continue.' }).waitFor();
    // The server revoked the session: the last cookie no longer works even if someone kept it.
    const reuse = await api(shop.stack.url('user'), 'POST', '/api/v1/users/refresh', {
      body: { refresh_token: rotated.value },
    });
    expect(reuse.status).toBe(401);
    await expectCleanPage(page);
    await context.close();
  });

  it('4b. refreshes the access token silently before it expires, rotating the cookie', async () => {
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    await page.clock.install();
    const username = unique('silent');
    await register(page, username);
    const before = (await refreshCookie(context))!.value;
    // 14.5 of the token's 15 minutes later (the page's clock only): the page refreshes by itself.
    const refresh = page.waitForResponse((r) => r.url().endsWith('/api/v1/users/refresh'));
    await page.clock.fastForward('14:30');
    expect((await refresh).status()).toBe(200);
    expect((await refreshCookie(context))!.value).not.toBe(before);
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    await page.getByText('No orders yet.').waitFor();
    await expectSignedIn(page, username);
    await context.close();
  });

  it('5. a second user cannot open the first user’s order', async () => {
    const { product, context: first, page: alice } = await shopperWithCart('Mug', 10, 1299, 1);
    const orderId = await checkout(alice, 'Test card that pays');
    await waitForStatus(alice, 'PAID');

    const second = await shop.newContext();
    const bob = await shop.newPage(second);
    await register(bob, unique('bob'));
    await bob.goto(`/orders/${orderId}`);
    await bob.getByRole('alert').filter({ hasText: 'We could not find that order.' }).waitFor();
    expect(await bob.getByTestId('order-total').count()).toBe(0);
    expect(await bob.content()).not.toContain(product.name);
    await bob.goto('/orders');
    await bob.getByText('No orders yet.').waitFor();
    await first.close();
    await second.close();
  });

  it('order history lists the orders; cancelling a paid order refunds it and restores the stock', async () => {
    const { product, context, page } = await shopperWithCart('Jug', 10, 2250, 3);
    const orderId = await checkout(page, 'Test card that pays');
    await waitForStatus(page, 'PAID');
    await stockBecomes(product.id, 7);

    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    const row = page.locator('.order-row').filter({ hasText: `Order ${orderId.slice(0, 8)}` });
    await row.locator('[data-status="PAID"]').waitFor();
    expect(await row.textContent()).toContain('$67.50');
    await row.getByRole('link').click();
    await page.getByRole('button', { name: 'Cancel and refund' }).click();
    await waitForStatus(page, 'REFUNDED');
    expect(await page.getByTestId('order-outcome').textContent()).toMatch(/payment refunded/);
    expect(await page.getByRole('button', { name: /Cancel/ }).count()).toBe(0);
    await stockBecomes(product.id, 10);
    await expectCleanPage(page);
    await context.close();
  });

  it('6. admin edits a product and the catalog shows the change; adjusts stock; creates a product', async () => {
    const original = unique('Carafe');
    const product = await admin.createProduct(original, 7, 1999);
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    await login(page, ADMIN.username, ADMIN.password);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { level: 1, name: 'Admin' }).waitFor();
    await page.getByLabel('Find a product').fill(original);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('link', { name: `Edit ${original}` }).click();
    await page.getByRole('heading', { level: 1, name: `Edit ${original}` }).waitFor();
    await expectAccessible(page, 'admin product editor');

    const renamed = unique('Glass carafe');
    await page.getByLabel('Name').fill(renamed);
    await page.getByLabel('Price').fill('24.50');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Saved ${renamed}.` })
      .waitFor();

    await page.getByLabel('Units to add (negative to remove)').fill('5');
    await page.getByRole('button', { name: 'Adjust stock' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Stock of ${renamed} is now 12.` })
      .waitFor();
    expect(await admin.stockOf(product.id)).toBe(12);

    // The catalog (search and the product page, served from the product cache) shows the change.
    await page.goto(`/search?q=${encodeURIComponent(renamed)}`);
    const card = page.locator('.product-card').filter({ hasText: renamed });
    await card.waitFor();
    expect(await card.locator('.price').textContent()).toBe('$24.50');
    await page.goto(`/products/${product.id}`);
    await page.getByRole('heading', { level: 1, name: renamed }).waitFor();
    expect(await page.getByTestId('price').textContent()).toBe('$24.50');
    expect(await page.getByTestId('stock').textContent()).toBe('12 in stock');

    // A field error from the product service lands next to its field.
    await page.goto('/admin/products/new');
    await page.getByLabel('SKU').fill(`SF-${original}`);
    await page.getByLabel('Name').fill('Duplicate SKU');
    await page.getByLabel('Price').fill('1');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.locator('#field-sku-error').filter({ hasText: 'Sku is already in use.' }).waitFor();
    expect(await page.getByLabel('SKU').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'admin product editor with a field error');

    const created = unique('Tea towel');
    await page.getByLabel('SKU').fill(`SF-NEW-${created.replace(/\W+/g, '-')}`);
    await page.getByLabel('Name').fill(created);
    await page.getByLabel('Stock').fill('3');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.getByRole('heading', { level: 1, name: `Edit ${created}` }).waitFor();
    await page.goto(`/search?q=${encodeURIComponent(created)}`);
    await page.getByRole('link', { name: created }).waitFor();
    await expectCleanPage(page);
    await context.close();
  });

  it('6b. admin runs a reconciliation and sees its report; customers cannot open admin pages', async () => {
    const context = await shop.newContext();
    const page = await shop.newPage(context);
    await login(page, ADMIN.username, ADMIN.password);
    await page.goto('/admin/reconciliation');
    await page.getByRole('button', { name: 'Run reconciliation' }).click();
    const report = page.getByTestId('recon-report');
    await report.waitFor();
    // Journey 5 paid an order today: the sandbox provider and the ledger agree on it.
    expect(Number(await page.getByTestId('recon-matched').textContent())).toBeGreaterThanOrEqual(1);
    await expectAccessible(page, 'reconciliation report');

    const customer = await shop.newContext();
    const shopper = await shop.newPage(customer);
    await register(shopper, unique('curious'));
    await shopper.goto('/admin');
    await shopper.getByRole('alert').filter({ hasText: 'This page is for shop administrators.' }).waitFor();
    expect(await shopper.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await context.close();
    await customer.close();
  });
});
