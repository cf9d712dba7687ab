import { describe, expect, it } from 'vitest';
import { Cart, MAX_QUANTITY } from '../src/lib/cart.js';

function storage(initial?: string) {
  const data = new Map<string, string>(initial ? [['shop.cart', initial]] : []);
  return {
    data,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
  };
}

const mug = { product_id: 1, name: 'Mug', price_amount: 1299, currency: 'USD' };

describe('cart (client side)', () => {
  it('adds, merges lines of one product, caps quantities and totals per currency', () => {
    const cart = new Cart(storage());
    cart.add(mug, 2);
    cart.add(mug, 1);
    expect(cart.lines.value).toEqual([{ ...mug, quantity: 3 }]);
    expect(cart.count.value).toBe(3);
    expect(cart.totals.value).toEqual([{ currency: 'USD', amount: 3897 }]);
    cart.setQuantity(1, 5000);
    expect(cart.lines.value[0]!.quantity).toBe(MAX_QUANTITY);
    cart.setQuantity(1, 0);
    expect(cart.lines.value).toEqual([]);
  });

  it('persists across reloads and ignores corrupt or invalid saved lines', () => {
    const store = storage();
    new Cart(store).add(mug, 2);
    expect(new Cart(store).lines.value).toEqual([{ ...mug, quantity: 2 }]);
    expect(new Cart(storage('{broken')).lines.value).toEqual([]);
    expect(
      new Cart(storage(JSON.stringify([{ product_id: 'x' }, { ...mug, quantity: 1 }]))).lines.value,
    ).toEqual([{ ...mug, quantity: 1 }]);
  });
});
