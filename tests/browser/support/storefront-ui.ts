/// <reference lib="dom" />
// What a shopper does in the storefront, step by step, through the page only (roles and labels, the way
// assistive technology finds things).
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { PASSWORD } from './shop.js';

export async function register(page: Page, username: string): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectSignedIn(page, username);
}

export async function login(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expectSignedIn(page, username);
}

export async function logout(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('link', { name: 'Log in' }).waitFor();
}

export async function expectSignedIn(page: Page, username: string): Promise<void> {
  await page.getByTestId('username').filter({ hasText: username }).waitFor();
}

/** Header search → the product's page (by its link in the results). */
export async function searchAndOpen(page: Page, query: string, productName: string): Promise<void> {
  const search = page.getByRole('search').getByLabel('Search products');
  await search.fill(query);
  await search.press('Enter');
  await page.getByRole('heading', { level: 1, name: `Results for “${query}”` }).waitFor();
  await page.getByRole('link', { name: productName, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: productName }).waitFor();
}

export async function addToCart(page: Page, quantity: number): Promise<void> {
  await page.getByLabel('Quantity', { exact: true }).fill(String(quantity));
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Added ${quantity} ×` })
    .waitFor();
}

/** Cart → checkout with a sandbox token; the order id from the status page it lands on. */
export async function checkout(
  page: Page,
  paymentLabel: string,
  place: (button: ReturnType<Page['getByRole']>) => Promise<void> = (b) => b.click(),
): Promise<string> {
  await page.getByRole('link', { name: /^Cart/ }).click();
  await page.getByRole('link', { name: 'Go to checkout' }).click();
  await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
  await page.getByLabel(paymentLabel).check();
  await place(page.getByRole('button', { name: 'Place order' }));
  await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
  return page.url().split('/').pop()!;
}

/** The live status region shows `status` (the page polls the order service until it is final). */
export async function waitForStatus(page: Page, status: string, timeout = 20_000): Promise<void> {
  await page.locator(`.order-status [data-status="${status}"]`).waitFor({ timeout });
}

/** Tab (at most `max` times) until the focused element matches. */
export async function tabTo(
  page: Page,
  matches: (el: { tag: string; text: string; label: string }) => boolean,
  max = 40,
) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      return {
        tag: a?.tagName.toLowerCase() ?? '',
        text: a?.textContent?.trim() ?? '',
        label:
          a?.getAttribute('aria-label') ??
          (a?.id ? (document.querySelector(`label[for="${a.id}"]`)?.textContent ?? '') : ''),
      };
    });
    if (matches(el)) return el;
  }
  throw new Error('no element reached by keyboard');
}

/** The page fits the viewport: nothing scrolls sideways (375 px phones). */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(scroll, 'page width vs viewport').toBeLessThanOrEqual(client);
}
