// One Idempotency-Key per checkout attempt. An attempt is one order body (the cart lines and the
// payment method): a double click, a retry after a timeout or a 503, or a reload in the middle reuse
// the key, so the order service answers with the order it already made instead of making a second
// one. Changing the cart or the payment method is a new attempt (the server would refuse an old key
// with a different body), and so is anything after a final answer.

/** Where the attempt survives a reload: sessionStorage (per tab, gone with the tab; not a secret). */
export interface AttemptStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface OrderBody {
  items: Array<{ product_id: number; quantity: number }>;
  payment_method: string;
}

const STORAGE_KEY = 'shop.checkout-attempt';

/** The same order, whatever the order of its lines: the attempt's identity. */
export function fingerprint(body: OrderBody): string {
  const items = [...body.items].sort((a, b) => a.product_id - b.product_id);
  return JSON.stringify({ items: items.map((i) => [i.product_id, i.quantity]), pm: body.payment_method });
}

export class CheckoutAttempt {
  constructor(
    private readonly store: AttemptStore,
    private readonly newKey: () => string = () => crypto.randomUUID(),
  ) {}

  /** The Idempotency-Key for this body: the current attempt's, or a new attempt's when the body changed. */
  keyFor(body: OrderBody): string {
    const fp = fingerprint(body);
    const saved = this.saved();
    if (saved?.fingerprint === fp) return saved.key;
    const key = this.newKey();
    this.store.setItem(STORAGE_KEY, JSON.stringify({ key, fingerprint: fp }));
    return key;
  }

  /** The attempt got a final answer (an order, or a refusal a retry would only repeat). */
  finish(): void {
    this.store.removeItem(STORAGE_KEY);
  }

  private saved(): { key: string; fingerprint: string } | undefined {
    try {
      const value = JSON.parse(this.store.getItem(STORAGE_KEY) ?? 'null') as unknown;
      if (value && typeof value === 'object' && 'key' in value && 'fingerprint' in value) {
        return value as { key: string; fingerprint: string };
      }
    } catch {
      // A corrupt entry is a new attempt.
    }
    return undefined;
  }
}
