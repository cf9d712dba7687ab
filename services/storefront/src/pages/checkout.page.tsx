import { useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ErrorAlert, Loading, Money, Page, Totals } from '../components/ui.js';
import { useResource } from '../components/use-resource.js';
import type { OrderBody } from '../lib/checkout-attempt.js';
import { totalsByCurrency } from '../lib/money.js';
import { ApiError } from '../lib/problem.js';
import { cart, checkoutAttempt, session, shop } from '../services.js';

/** The sandbox provider's test tokens (payment service README). */
export const PAYMENT_METHODS: Array<[token: string, label: string, hint: string]> = [
  ['tok_success', 'Test card that pays', 'The payment succeeds at once.'],
  ['tok_decline', 'Test card that is declined', 'The payment fails and the stock is released.'],
  ['tok_async', 'Test card confirmed later', 'The payment is confirmed after a moment.'],
  ['tok_error', 'Test card with a provider error', 'The provider answers with an error.'],
];

export function CheckoutPage() {
  const { route } = useLocation();
  const lines = cart.lines.value;
  const state = session.state.value;
  const [method, setMethod] = useState('tok_success');
  const [error, setError] = useState<unknown>();
  const [placing, setPlacing] = useState(false);
  // A ref, not state: a second click in the same frame must see the first one at once.
  const submitting = useRef(false);
  const ids = lines.map((l) => l.product_id).join(',');
  const current = useResource(
    () => Promise.all(lines.map((l) => shop.product(l.product_id).then((r) => r.product))),
    [ids],
  );

  if (state.status === 'restoring') return <Loading />;
  if (state.status === 'anonymous') {
    return (
      <Page title="Checkout">
        <p>
          Please <a href="/login?next=%2Fcheckout">log in</a> to check out.
        </p>
      </Page>
    );
  }
  if (lines.length === 0) {
    return (
      <Page title="Checkout">
        <p>
          Your cart is empty. <a href="/search">Browse the catalog</a>
        </p>
      </Page>
    );
  }

  const priced = lines.map((line) => {
    const product = current.data?.find((p) => p.id === line.product_id);
    return {
      ...line,
      price_amount: product?.price_amount ?? line.price_amount,
      currency: product?.currency ?? line.currency,
      stock: product?.stock,
    };
  });
  const lineErrors = new Map<number, string>();
  if (error instanceof ApiError) {
    for (const [field, message] of Object.entries(error.fieldErrors)) {
      const m = /^items\.(\d+)\./.exec(field);
      if (m) lineErrors.set(Number(m[1]), message);
    }
  }

  const placeOrder = async (event: SubmitEvent) => {
    event.preventDefault();
    if (submitting.current) return;
    submitting.current = true;
    setPlacing(true);
    setError(undefined);
    const body: OrderBody = {
      items: lines.map((l) => ({ product_id: l.product_id, quantity: l.quantity })),
      payment_method: method,
    };
    const key = checkoutAttempt.keyFor(body);
    try {
      const order = await shop.placeOrder(body, key);
      checkoutAttempt.finish();
      cart.clear();
      route(`/orders/${order.id}`);
    } catch (e) {
      // A refusal is final for this body (the key would only replay it); an outage keeps the key so
      // "Place order" again cannot make a second order.
      if (
        e instanceof ApiError &&
        e.status >= 400 &&
        e.status < 500 &&
        e.status !== 401 &&
        e.status !== 429
      ) {
        checkoutAttempt.finish();
      }
      setError(e);
    } finally {
      submitting.current = false;
      setPlacing(false);
    }
  };

  return (
    <Page title="Checkout">
      <form class="checkout" onSubmit={placeOrder}>
        <section aria-labelledby="summary-heading">
          <h2 id="summary-heading">Order summary</h2>
          {current.loading && !current.data && <Loading label="Checking prices and stock…" />}
          <ul class="summary-lines">
            {priced.map((line, i) => (
              <li key={line.product_id}>
                <span>
                  {line.quantity} × {line.name}
                </span>
                <Money amount={line.quantity * line.price_amount} currency={line.currency} />
                {line.stock !== undefined && line.stock < line.quantity && (
                  <span class="field-error">Only {line.stock} left in stock.</span>
                )}
                {lineErrors.has(i) && <span class="field-error">{lineErrors.get(i)}</span>}
              </li>
            ))}
          </ul>
          <Totals totals={totalsByCurrency(priced)} testId="checkout-total" />
        </section>
        <fieldset class="payment-methods">
          <legend>Payment method (sandbox)</legend>
          {PAYMENT_METHODS.map(([token, label, hint]) => (
            <div class="radio" key={token}>
              <input
                type="radio"
                id={`pm-${token}`}
                name="payment_method"
                value={token}
                checked={method === token}
                onChange={() => setMethod(token)}
                aria-describedby={`pm-${token}-hint`}
              />
              <label for={`pm-${token}`}>{label}</label>
              <span class="hint" id={`pm-${token}-hint`}>
                {hint}
              </span>
            </div>
          ))}
        </fieldset>
        <ErrorAlert error={error} />
        <button
          type="submit"
          class="button primary"
          disabled={placing}
          aria-disabled={placing ? 'true' : undefined}
        >
          {placing ? 'Placing order…' : 'Place order'}
        </button>
      </form>
    </Page>
  );
}
