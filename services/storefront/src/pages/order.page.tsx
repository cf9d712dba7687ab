import { useEffect, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { ErrorAlert, formatDate, Loading, Money, Page, StatusBadge, Totals } from '../components/ui.js';
import { ApiError } from '../lib/problem.js';
import { CANCELLABLE_STATUSES, FINAL_STATUSES, type Order } from '../lib/shop-api.js';
import { shop } from '../services.js';
import { PAYMENT_METHODS } from './checkout.page.js';

/** Poll interval while the payment is open: quick at first, then calmer (ms). */
export function pollDelayMs(attempt: number): number {
  return Math.min(5_000, 500 + attempt * 250);
}

const OUTCOME: Partial<Record<Order['status'], string>> = {
  AWAITING_PAYMENT: 'We are waiting for the payment to be confirmed. This page updates by itself.',
  PENDING: 'Your order is being placed. This page updates by itself.',
  PAID: 'Thank you! Your payment went through and your order is confirmed.',
  PAYMENT_FAILED: 'The payment did not go through, so the order was not placed. Nothing was charged.',
  CANCELLED: 'This order was cancelled.',
  EXPIRED: 'The payment was not completed in time, so this order expired.',
  REFUNDED: 'This order was cancelled and the payment refunded.',
};

export function OrderPage() {
  const { params } = useRoute();
  const id = params.id ?? '';
  const [order, setOrder] = useState<Order>();
  const [error, setError] = useState<unknown>();
  const [cancelError, setCancelError] = useState<unknown>();
  const [cancelling, setCancelling] = useState(false);
  const [reload, setReload] = useState(0);

  // Follows the order until its status is final (AWAITING_PAYMENT → PAID / PAYMENT_FAILED …).
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    let attempt = 0;
    const poll = async () => {
      try {
        const next = await shop.order(id);
        if (stopped) return;
        setOrder(next);
        setError(undefined);
        if (FINAL_STATUSES.includes(next.status)) return;
      } catch (e) {
        if (stopped) return;
        setError(e);
        if (!(e instanceof ApiError) || e.status === 401 || e.status === 403 || e.status === 404) return;
      }
      timer = window.setTimeout(poll, pollDelayMs(attempt++));
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [id, reload]);

  if (!order) {
    if (error) {
      return (
        <Page title="Order">
          <ErrorAlert error={error} onRetry={() => setReload((r) => r + 1)} />
          <p>
            <a href="/orders">Your orders</a>
          </p>
        </Page>
      );
    }
    return <Loading label="Loading your order…" />;
  }

  const cancel = async () => {
    setCancelling(true);
    setCancelError(undefined);
    try {
      setOrder(await shop.cancelOrder(order.id));
    } catch (e) {
      setCancelError(e);
    } finally {
      setCancelling(false);
    }
  };

  return (
    <Page title={`Order ${order.id.slice(0, 8)}`}>
      <div class="order-status" aria-live="polite" aria-atomic="true">
        <p>
          Status: <StatusBadge status={order.status} />
        </p>
        <p data-testid="order-outcome">{OUTCOME[order.status]}</p>
        {order.failure_reason && order.status === 'PAYMENT_FAILED' && (
          <p class="field-error">Reason: {order.failure_reason.replaceAll('_', ' ')}</p>
        )}
      </div>
      <ErrorAlert error={error} onRetry={() => setReload((r) => r + 1)} />
      <dl class="order-meta">
        <div>
          <dt>Order number</dt>
          <dd data-testid="order-id">{order.id}</dd>
        </div>
        <div>
          <dt>Placed</dt>
          <dd>{formatDate(order.created_at)}</dd>
        </div>
        <div>
          <dt>Payment method</dt>
          <dd>
            {PAYMENT_METHODS.find(([token]) => token === order.payment_method)?.[1] ?? order.payment_method}
          </dd>
        </div>
      </dl>
      <h2>Items</h2>
      <ul class="summary-lines">
        {order.items.map((item) => (
          <li key={item.product_id}>
            <span>
              {item.quantity} ×{' '}
              <a href={`/products/${item.product_id}`}>{item.name ?? `Product ${item.product_id}`}</a>
            </span>
            <Money amount={item.line_total} currency={order.currency} />
          </li>
        ))}
      </ul>
      <Totals totals={[{ currency: order.currency, amount: order.total_amount }]} testId="order-total" />
      {CANCELLABLE_STATUSES.includes(order.status) && (
        <p>
          <button type="button" class="button secondary" onClick={cancel} disabled={cancelling}>
            {cancelling ? 'Cancelling…' : order.status === 'PAID' ? 'Cancel and refund' : 'Cancel order'}
          </button>
        </p>
      )}
      <ErrorAlert error={cancelError} onRetry={cancel} />
      <p>
        <a href="/orders">All your orders</a>
      </p>
    </Page>
  );
}
