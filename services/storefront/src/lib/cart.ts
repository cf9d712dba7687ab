// The cart lives in the browser (the services have no cart): product id, quantity and the name and
// price seen when it was added, for display only — the order service always prices from the catalog.
import { computed, signal } from '@preact/signals';
import { totalsByCurrency } from './money.js';

export interface CartLine {
  product_id: number;
  quantity: number;
  name: string;
  price_amount: number;
  currency: string;
}

/** The order service accepts at most 1000 of one product and 50 lines per order. */
export const MAX_QUANTITY = 1000;
export const MAX_LINES = 50;

export interface CartStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const STORAGE_KEY = 'shop.cart';

function isLine(value: unknown): value is CartLine {
  const v = value as CartLine;
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isSafeInteger(v.product_id) &&
    Number.isSafeInteger(v.quantity) &&
    v.quantity > 0 &&
    typeof v.name === 'string' &&
    Number.isSafeInteger(v.price_amount) &&
    typeof v.currency === 'string'
  );
}

export class Cart {
  readonly lines = signal<CartLine[]>([]);
  readonly count = computed(() => this.lines.value.reduce((n, l) => n + l.quantity, 0));
  readonly totals = computed(() => totalsByCurrency(this.lines.value));

  constructor(private readonly storage: CartStorage) {
    try {
      const saved = JSON.parse(storage.getItem(STORAGE_KEY) ?? '[]') as unknown;
      if (Array.isArray(saved)) this.lines.value = saved.filter(isLine).slice(0, MAX_LINES);
    } catch {
      // A corrupt cart is an empty cart.
    }
  }

  add(product: Omit<CartLine, 'quantity'>, quantity: number): void {
    const existing = this.lines.value.find((l) => l.product_id === product.product_id);
    const next = Math.min(MAX_QUANTITY, (existing?.quantity ?? 0) + quantity);
    this.set(
      existing
        ? this.lines.value.map((l) =>
            l.product_id === product.product_id ? { ...product, quantity: next } : l,
          )
        : [...this.lines.value, { ...product, quantity: next }].slice(0, MAX_LINES),
    );
  }

  setQuantity(productId: number, quantity: number): void {
    if (quantity <= 0) {
      this.remove(productId);
      return;
    }
    const q = Math.min(MAX_QUANTITY, Math.floor(quantity));
    this.set(this.lines.value.map((l) => (l.product_id === productId ? { ...l, quantity: q } : l)));
  }

  remove(productId: number): void {
    this.set(this.lines.value.filter((l) => l.product_id !== productId));
  }

  clear(): void {
    this.set([]);
  }

  /** Another tab changed the cart (the `storage` event): take its version. */
  reload(): void {
    const fresh = new Cart(this.storage);
    this.lines.value = fresh.lines.value;
  }

  private set(lines: CartLine[]): void {
    this.lines.value = lines;
    this.storage.setItem(STORAGE_KEY, JSON.stringify(lines));
  }
}

export const CART_STORAGE_KEY = STORAGE_KEY;
