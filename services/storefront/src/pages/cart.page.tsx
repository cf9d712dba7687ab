import { Money, Page, Totals } from '../components/ui.js';
import { MAX_QUANTITY } from '../lib/cart.js';
import { cart, session } from '../services.js';

export function CartPage() {
  const lines = cart.lines.value;
  const loggedIn = session.state.value.status === 'authenticated';
  return (
    <Page title="Your cart">
      {lines.length === 0 ? (
        <p>
          Your cart is empty. <a href="/search">Browse the catalog</a>
        </p>
      ) : (
        <>
          <ul class="cart-lines">
            {lines.map((line) => (
              <li key={line.product_id} class="cart-line">
                <a href={`/products/${line.product_id}`} class="cart-line-name">
                  {line.name}
                </a>
                <span class="cart-line-price">
                  <Money amount={line.price_amount} currency={line.currency} /> each
                </span>
                <span class="field-inline">
                  <label for={`qty-${line.product_id}`} class="visually-hidden">
                    Quantity of {line.name}
                  </label>
                  <input
                    id={`qty-${line.product_id}`}
                    type="number"
                    min={1}
                    max={MAX_QUANTITY}
                    step={1}
                    value={line.quantity}
                    onChange={(e) =>
                      cart.setQuantity(line.product_id, Number((e.currentTarget as HTMLInputElement).value))
                    }
                  />
                </span>
                <Money amount={line.quantity * line.price_amount} currency={line.currency} />
                <button
                  type="button"
                  class="link-button"
                  onClick={() => cart.remove(line.product_id)}
                  aria-label={`Remove ${line.name} from the cart`}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
          <Totals totals={cart.totals.value} testId="cart-total" />
          <p class="note">Prices are confirmed at checkout from the current catalog.</p>
          <a class="button primary" href={loggedIn ? '/checkout' : '/login?next=%2Fcheckout'}>
            {loggedIn ? 'Go to checkout' : 'Log in to check out'}
          </a>
        </>
      )}
    </Page>
  );
}
