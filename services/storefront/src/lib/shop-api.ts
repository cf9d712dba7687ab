// Typed calls of the public Shop API (the routes the gateway / Ingress expose under /api/v1).
import type { ApiAnswer, ApiClient } from './api-client.js';
import type { OrderBody } from './checkout-attempt.js';

export interface Category {
  id: number;
  slug: string;
  name: string;
  description: string;
}

export interface Product {
  id: number;
  sku: string;
  name: string;
  description: string;
  category_id: number | null;
  price_amount: number;
  currency: string;
  stock: number;
  status: 'active' | 'inactive';
  version: number;
}

export interface ProductPage {
  items: Product[];
  next_cursor: string | null;
}

export type ProductInput = Partial<Omit<Product, 'id' | 'version'>>;

export type OrderStatus =
  | 'PENDING'
  | 'AWAITING_PAYMENT'
  | 'PAID'
  | 'PAYMENT_FAILED'
  | 'CANCELLED'
  | 'EXPIRED'
  | 'REFUNDED';

export const FINAL_STATUSES: readonly OrderStatus[] = [
  'PAID',
  'PAYMENT_FAILED',
  'CANCELLED',
  'EXPIRED',
  'REFUNDED',
];
export const CANCELLABLE_STATUSES: readonly OrderStatus[] = ['PENDING', 'AWAITING_PAYMENT', 'PAID'];

export interface Order {
  id: string;
  status: OrderStatus;
  items: Array<{
    product_id: number;
    quantity: number;
    unit_price: number | null;
    line_total: number | null;
    name: string | null;
    sku: string | null;
  }>;
  total_amount: number | null;
  currency: string | null;
  payment_method: string;
  failure_reason: string | null;
  expires_at: string;
  paid_at: string | null;
  cancelled_at: string | null;
  created_at: string;
}

export interface ReconciliationEntry {
  kind: string;
  provider_ref: string | null;
  ledger_id: string | null;
  ledger_amount: number | null;
  provider_amount: number | null;
  provider_status?: string;
  currency: string;
  side?: string;
}

export interface ReconciliationReport {
  date: string;
  provider: string;
  generated_at: string;
  totals: { matched: number; missing: number; mismatched: number };
  matched: ReconciliationEntry[];
  missing: ReconciliationEntry[];
  mismatched: ReconciliationEntry[];
}

export interface SearchParams {
  q?: string;
  category_id?: number;
  min_price?: number;
  max_price?: number;
  currency?: string;
  sort?: 'relevance' | 'newest' | 'price_asc' | 'price_desc' | 'name_asc';
  cursor?: string;
  limit?: number;
}

/** Query string of a search, without empty values (the product service rejects unknown or blank keys). */
export function searchQuery(params: SearchParams): string {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '' || (typeof value === 'number' && Number.isNaN(value))) continue;
    qs.set(key, String(value));
  }
  const text = qs.toString();
  return text ? `?${text}` : '';
}

/** A product answer with its ETag, the version an admin edit must name in If-Match. */
export interface VersionedProduct {
  product: Product;
  etag: string;
}

function withEtag(answer: ApiAnswer<Product>): VersionedProduct {
  const etag = answer.headers.get('etag');
  if (!etag) throw new Error('the product service answered without an ETag');
  return { product: answer.data, etag };
}

export function createShopApi(api: ApiClient) {
  const data = <T>(p: Promise<ApiAnswer<T>>) => p.then((a) => a.data);
  return {
    categories: () => data(api.get<{ items: Category[] }>('/api/v1/categories')).then((d) => d.items),
    search: (params: SearchParams) => data(api.get<ProductPage>(`/api/v1/products${searchQuery(params)}`)),
    /** The product and its ETag (an admin edit must send it back as If-Match). */
    product: (id: number) => api.get<Product>(`/api/v1/products/${id}`).then(withEtag),
    createProduct: (input: ProductInput) =>
      data(api.post<Product>('/api/v1/products', input, { auth: 'required' })),
    /** Updates with If-Match; answers the new version and its ETag (412 when someone changed it meanwhile). */
    updateProduct: (id: number, input: ProductInput, etag: string) =>
      api
        .patch<Product>(`/api/v1/products/${id}`, input, { auth: 'required', headers: { 'if-match': etag } })
        .then(withEtag),
    register: (input: { username: string; email: string; password: string }) =>
      data(api.post<{ id: string }>('/api/v1/users', input)),
    /** Places an order under an Idempotency-Key; safe to repeat (a repeat answers with the same order). */
    placeOrder: (body: OrderBody, idempotencyKey: string) =>
      data(
        api.post<Order>('/api/v1/orders', body, {
          auth: 'required',
          repeatable: true,
          headers: { 'idempotency-key': idempotencyKey },
        }),
      ),
    orders: (cursor?: string) =>
      data(
        api.get<{ items: Order[]; next_cursor: string | null }>(
          `/api/v1/orders${searchQuery({ limit: 10, cursor })}`,
          { auth: 'required' },
        ),
      ),
    order: (id: string) =>
      data(api.get<Order>(`/api/v1/orders/${encodeURIComponent(id)}`, { auth: 'required' })),
    cancelOrder: (id: string) =>
      data(
        api.post<Order>(`/api/v1/orders/${encodeURIComponent(id)}/cancel`, undefined, { auth: 'required' }),
      ),
    reconcile: (date: string) =>
      data(
        api.post<ReconciliationReport>('/api/v1/payments/reconciliations', { date }, { auth: 'required' }),
      ),
  };
}

export type ShopApi = ReturnType<typeof createShopApi>;
