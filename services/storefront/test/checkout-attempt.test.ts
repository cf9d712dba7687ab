import { describe, expect, it } from 'vitest';
import { type AttemptStore, CheckoutAttempt, type OrderBody } from '../src/lib/checkout-attempt.js';

function memoryStore(): AttemptStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

const keys = () => {
  let n = 0;
  return () => `key-${++n}`;
};

const body = (quantity = 2, payment_method = 'tok_success'): OrderBody => ({
  items: [
    { product_id: 7, quantity },
    { product_id: 3, quantity: 1 },
  ],
  payment_method,
});

describe('Idempotency-Key lifetime: one key per checkout attempt', () => {
  it('reuses the key for the same order (double click, retry after an outage), whatever the line order', () => {
    const attempt = new CheckoutAttempt(memoryStore(), keys());
    const first = attempt.keyFor(body());
    expect(attempt.keyFor(body())).toBe(first);
    expect(attempt.keyFor({ ...body(), items: [...body().items].reverse() })).toBe(first);
  });

  it('survives a reload of the tab (the key is kept in per-tab storage, not memory)', () => {
    const store = memoryStore();
    const before = new CheckoutAttempt(store, keys()).keyFor(body());
    const afterReload = new CheckoutAttempt(store, () => 'never-used');
    expect(afterReload.keyFor(body())).toBe(before);
  });

  it('starts a new attempt when the cart or the payment method changes', () => {
    const attempt = new CheckoutAttempt(memoryStore(), keys());
    const first = attempt.keyFor(body(2));
    const changedQuantity = attempt.keyFor(body(3));
    const changedMethod = attempt.keyFor(body(3, 'tok_decline'));
    expect(new Set([first, changedQuantity, changedMethod]).size).toBe(3);
  });

  it('starts a new attempt after a final answer, even for the same cart', () => {
    const attempt = new CheckoutAttempt(memoryStore(), keys());
    const first = attempt.keyFor(body());
    attempt.finish();
    expect(attempt.keyFor(body())).not.toBe(first);
  });

  it('treats a corrupt stored attempt as a new one', () => {
    const store = memoryStore();
    store.setItem('shop.checkout-attempt', '{not json');
    expect(new CheckoutAttempt(store, () => 'fresh').keyFor(body())).toBe('fresh');
  });

  it('uses random UUIDs by default', () => {
    const key = new CheckoutAttempt(memoryStore()).keyFor(body());
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
