import { useEffect, useState } from 'preact/hooks';
import { ErrorAlert, formatDate, Loading, Money, Page, StatusBadge } from '../components/ui.js';
import type { Order } from '../lib/shop-api.js';
import { shop } from '../services.js';

export function OrdersPage() {
  const [orders, setOrders] = useState<Order[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();

  const load = async (from?: string) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await shop.orders(from);
      setOrders((list) => (from ? [...list, ...page.items] : page.items));
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  return (
    <Page title="Your orders">
      <ErrorAlert error={error} onRetry={() => load(cursor ?? undefined)} />
      {!loading && orders.length === 0 && !error && (
        <p>
          No orders yet. <a href="/search">Start shopping</a>
        </p>
      )}
      {orders.length > 0 && (
        <ul class="order-list">
          {orders.map((o) => (
            <li key={o.id} class="order-row">
              <a href={`/orders/${o.id}`}>Order {o.id.slice(0, 8)}</a>
              <span>{formatDate(o.created_at)}</span>
              <StatusBadge status={o.status} />
              <Money amount={o.total_amount} currency={o.currency} />
            </li>
          ))}
        </ul>
      )}
      {loading && <Loading />}
      {cursor && !loading && (
        <button type="button" class="button secondary" onClick={() => load(cursor)}>
          Show more orders
        </button>
      )}
    </Page>
  );
}
