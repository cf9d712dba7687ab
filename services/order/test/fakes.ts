// In-memory stand-ins for the checkout's collaborators: object literals satisfying the repository's
// and clients' interfaces (no mocking library, no database). Each records what it was asked.
import type { Reservation } from '@shop/contracts';
import type {
  OrderEvent,
  OrderItemRow,
  OrderRow,
  OrdersRepository,
} from '../src/modules/orders/orders.repository.js';
import type {
  PaymentClient,
  PaymentRequestOutcome,
  RefundOutcome,
} from '../src/modules/orders/payment.client.js';
import type { ProductClient, ReserveOutcome } from '../src/modules/orders/product.client.js';

export interface FakeOrdersRepository extends OrdersRepository {
  rows: Map<string, OrderRow>;
  lines: Map<string, OrderItemRow[]>;
  events: OrderEvent[];
  inserts: number;
}

const clone = <T>(value: T): T => structuredClone(value);

/** An in-memory orders repository; `transaction` rolls the maps back when `work` throws. */
export function fakeOrdersRepository(): FakeOrdersRepository {
  const repo: FakeOrdersRepository = {
    rows: new Map(),
    lines: new Map(),
    events: [],
    inserts: 0,

    async insertPending(o) {
      const taken = [...repo.rows.values()].some(
        (r) => o.idempotencyKey !== null && r.user_id === o.userId && r.idempotency_key === o.idempotencyKey,
      );
      if (taken) return undefined;
      repo.inserts += 1;
      const now = new Date();
      const row: OrderRow = {
        id: o.id,
        user_id: o.userId,
        status: 'PENDING',
        currency: null,
        total_amount: null,
        payment_method: o.paymentMethod,
        payment_id: null,
        idempotency_key: o.idempotencyKey,
        request_hash: o.requestHash,
        failure_reason: null,
        expires_at: o.expiresAt,
        paid_at: null,
        cancelled_at: null,
        created_at: now,
        updated_at: now,
      };
      repo.rows.set(o.id, row);
      repo.lines.set(
        o.id,
        o.items.map((i) => ({
          order_id: o.id,
          product_id: String(i.product_id),
          quantity: i.quantity,
          unit_price: null,
          line_total: null,
          name: null,
          sku: null,
        })),
      );
      return clone(row);
    },
    async findById(id) {
      const row = repo.rows.get(id);
      return row && clone(row);
    },
    async findWithItems(id) {
      const row = await repo.findById(id);
      return row ? { row, items: await repo.items([id]) } : undefined;
    },
    async findByIdempotencyKey(userId, key) {
      const row = [...repo.rows.values()].find((r) => r.user_id === userId && r.idempotency_key === key);
      return row && clone(row);
    },
    async items(orderIds) {
      return orderIds.flatMap((id) => clone(repo.lines.get(id) ?? []));
    },
    async listByUser(userId, limit) {
      return [...repo.rows.values()].filter((r) => r.user_id === userId).slice(0, limit);
    },
    async markPriced(id, lines, total, currency) {
      const row = repo.rows.get(id);
      if (row?.status !== 'PENDING') return undefined;
      Object.assign(row, { status: 'AWAITING_PAYMENT', total_amount: String(total), currency });
      repo.lines.set(
        id,
        lines.map((l) => ({
          order_id: id,
          product_id: String(l.product_id),
          quantity: l.quantity,
          unit_price: String(l.unit_price),
          line_total: String(l.line_total),
          name: l.name,
          sku: l.sku,
        })),
      );
      return clone(row);
    },
    async setPaymentId(id, paymentId) {
      const row = repo.rows.get(id);
      if (!row || row.payment_id !== null) return undefined;
      row.payment_id = paymentId;
      return { row: clone(row), items: clone(repo.lines.get(id) ?? []) };
    },
    async transition(id, from, to, extra = {}) {
      const row = repo.rows.get(id);
      if (!row || !from.includes(row.status)) return undefined;
      row.status = to;
      if (extra.paymentId) row.payment_id = extra.paymentId;
      if (extra.failureReason) row.failure_reason = extra.failureReason;
      if (to === 'PAID') row.paid_at = new Date();
      return { ...clone(row), items: clone(repo.lines.get(id) ?? []) };
    },
    async setFailureReason(id, reason) {
      const row = repo.rows.get(id);
      if (row) row.failure_reason = reason;
    },
    async deletePending(id) {
      if (repo.rows.get(id)?.status === 'PENDING') {
        repo.rows.delete(id);
        repo.lines.delete(id);
      }
    },
    async lockExpired(now, limit) {
      return [...repo.rows.values()]
        .filter((r) => (r.status === 'PENDING' || r.status === 'AWAITING_PAYMENT') && r.expires_at <= now)
        .slice(0, limit)
        .map(clone);
    },
    async addEvent(event) {
      repo.events.push(clone(event));
    },
    async transaction(work) {
      const saved = { rows: clone(repo.rows), lines: clone(repo.lines), events: clone(repo.events) };
      try {
        return await work(repo);
      } catch (err) {
        Object.assign(repo, saved);
        throw err;
      }
    },
  };
  return repo;
}

/** A reservation of `lines` at 1250 per unit in USD, as the product service answers it. */
export function reservationOf(
  orderId: string,
  lines: { product_id: number; quantity: number }[],
): Reservation {
  const items = lines.map((l) => ({
    product_id: l.product_id,
    sku: `SKU-${l.product_id}`,
    name: `Product ${l.product_id}`,
    quantity: l.quantity,
    unit_price: 1250,
    currency: 'USD',
    line_total: 1250 * l.quantity,
  }));
  const now = new Date().toISOString();
  return {
    order_id: orderId,
    status: 'RESERVED',
    currency: 'USD',
    total_amount: items.reduce((sum, i) => sum + i.line_total, 0),
    expires_at: now,
    created_at: now,
    updated_at: now,
    items,
  };
}

export interface FakeProductClient extends ProductClient {
  calls: { orderId: string; items: { product_id: number; quantity: number }[]; ttlSeconds: number }[];
  /** What the next reservations answer; `reserved` builds the reservation from the request. */
  answer: ReserveOutcome['kind'] | ReserveOutcome;
}

export function fakeProductClient(answer: FakeProductClient['answer'] = 'reserved'): FakeProductClient {
  const client: FakeProductClient = {
    calls: [],
    answer,
    async reserve(orderId, items, ttlSeconds) {
      client.calls.push({ orderId, items, ttlSeconds });
      const a = client.answer;
      if (typeof a !== 'string') return a;
      if (a === 'reserved') return { kind: 'reserved', reservation: reservationOf(orderId, items) };
      if (a === 'unavailable') return { kind: 'unavailable' };
      return { kind: a, problem: { code: 'INVENTORY.X', detail: `${a} (fake)` } };
    },
  };
  return client;
}

export interface FakePaymentClient extends PaymentClient {
  created: { id: string; amount: number; currency: string; paymentMethod: string }[];
  refunds: { paymentId: string; key: string; reason: string }[];
  answer: PaymentRequestOutcome;
  refundAnswer: RefundOutcome;
}

export function fakePaymentClient(
  answer: PaymentRequestOutcome = { kind: 'created', paymentId: '5e000000-0000-4000-8000-000000000001' },
): FakePaymentClient {
  const client: FakePaymentClient = {
    created: [],
    refunds: [],
    answer,
    refundAnswer: { kind: 'refunded' },
    async create(order) {
      client.created.push(order);
      return client.answer;
    },
    async refundFull(paymentId, key, reason) {
      client.refunds.push({ paymentId, key, reason });
      return client.refundAnswer;
    },
  };
  return client;
}

/** A logger that keeps the messages it was given. */
export function fakeLogger() {
  const lines: { level: 'info' | 'warn'; msg: string | undefined; obj: object }[] = [];
  return {
    lines,
    info: (obj: object, msg?: string) => void lines.push({ level: 'info', msg, obj }),
    warn: (obj: object, msg?: string) => void lines.push({ level: 'warn', msg, obj }),
  };
}
