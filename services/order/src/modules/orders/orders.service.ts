import { randomUUID } from 'node:crypto';
import {
  EVENT_STREAMS,
  type EventEnvelope,
  ORDER_EVENT_TYPES,
  type PaymentFailedData,
  type PaymentRefundedData,
  type PaymentSucceededData,
} from '@shop/contracts';
import type { Outbox } from '@shop/events';
import { type Db, DomainError, ValidationError, withTransaction } from '@shop/service-kit';
import type { AuthUser } from '@shop/service-kit/auth';
import type pg from 'pg';
import { IdempotencyStore } from './idempotency.store.js';
import {
  dependencyUnavailable,
  idempotencyKeyReused,
  notCancellable,
  orderNotFound,
} from './orders.errors.js';
import { type OrderItemRow, type OrderRow, type OrderStatus, OrdersRepository } from './orders.repository.js';
import type { CreateOrderInput } from './orders.schemas.js';
import type { PaymentClient, ProductClient } from './upstreams.js';

export interface OrderItem {
  product_id: number;
  quantity: number;
  unit_price: number | null;
  line_total: number | null;
  name: string | null;
  sku: string | null;
}

export interface Order {
  id: string;
  user_id: string;
  status: OrderStatus;
  items: OrderItem[];
  total_amount: number | null;
  currency: string | null;
  payment_method: string;
  payment_id: string | null;
  failure_reason: string | null;
  expires_at: string;
  paid_at: string | null;
  cancelled_at: string | null;
  created_at: string;
  updated_at: string;
}

const FINAL: OrderStatus[] = ['PAID', 'PAYMENT_FAILED', 'CANCELLED', 'EXPIRED', 'REFUNDED'];

function toOrder(row: OrderRow, items: OrderItemRow[]): Order {
  return {
    id: row.id,
    user_id: row.user_id,
    status: row.status,
    items: items.map((i) => ({
      product_id: Number(i.product_id),
      quantity: i.quantity,
      unit_price: i.unit_price === null ? null : Number(i.unit_price),
      line_total: i.line_total === null ? null : Number(i.line_total),
      name: i.name,
      sku: i.sku,
    })),
    total_amount: row.total_amount === null ? null : Number(row.total_amount),
    currency: row.currency?.trim() ?? null,
    payment_method: row.payment_method,
    payment_id: row.payment_id,
    failure_reason: row.failure_reason,
    expires_at: row.expires_at.toISOString(),
    paid_at: row.paid_at?.toISOString() ?? null,
    cancelled_at: row.cancelled_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** Lines naming the same product twice become one line (the reservation does the same). */
function mergeItems(items: { product_id: number; quantity: number }[]) {
  const merged = new Map<number, number>();
  for (const i of items) merged.set(i.product_id, (merged.get(i.product_id) ?? 0) + i.quantity);
  return [...merged]
    .map(([product_id, quantity]) => ({ product_id, quantity }))
    .sort((a, b) => a.product_id - b.product_id);
}

export interface OrdersServiceDeps {
  pool: pg.Pool;
  outbox: Outbox;
  products: ProductClient;
  payments: PaymentClient;
  paymentTtlSeconds: number;
  reservationMarginSeconds: number;
  logger: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
  now?: () => Date;
}

/**
 * The checkout saga: reserve stock (product) → create the payment (payment, key = order id) →
 * AWAITING_PAYMENT → payment result event → PAID (order.paid: commit) or PAYMENT_FAILED
 * (order.payment_failed: release). Cancel, expiry and late payments are handled here too.
 */
export class OrdersService {
  private readonly repo = new OrdersRepository();
  private readonly now: () => Date;

  constructor(private readonly deps: OrdersServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Places an order (or resumes the one placed earlier with the same Idempotency-Key, so a retry
   * after a 503 continues the saga instead of reserving twice). `created` tells 201 from 200.
   */
  async place(
    user: AuthUser,
    input: CreateOrderInput,
    idempotencyKey: string | undefined,
  ): Promise<{ order: Order; created: boolean }> {
    const items = mergeItems(input.items);
    const hash = IdempotencyStore.fingerprint({ items, payment_method: input.payment_method });
    if (idempotencyKey) {
      const existing = await this.repo.findByIdempotencyKey(this.deps.pool, user.id, idempotencyKey);
      if (existing) {
        if (existing.request_hash !== hash) throw idempotencyKeyReused();
        return { order: await this.resume(existing, items), created: false };
      }
    }
    const row = await withTransaction(this.deps.pool, (tx) =>
      this.repo.insertPending(tx, {
        id: randomUUID(),
        userId: user.id,
        paymentMethod: input.payment_method,
        idempotencyKey: idempotencyKey ?? null,
        requestHash: hash,
        expiresAt: new Date(this.now().getTime() + this.deps.paymentTtlSeconds * 1000),
        items,
      }),
    );
    if (!row) {
      // Lost a race with a concurrent request that used the same key.
      return this.place(user, input, idempotencyKey);
    }
    return { order: await this.resume(row, items), created: true };
  }

  private async resume(row: OrderRow, items: { product_id: number; quantity: number }[]): Promise<Order> {
    let order = row;
    if (order.status === 'PENDING') {
      let reservation: Awaited<ReturnType<ProductClient['reserve']>>;
      try {
        reservation = await this.deps.products.reserve(
          order.id,
          items,
          this.deps.paymentTtlSeconds + this.deps.reservationMarginSeconds,
        );
      } catch (err) {
        // Rejected by the product service: nothing was reserved, so the order never existed.
        if (err instanceof DomainError && err.status < 500)
          await this.repo.deletePending(this.deps.pool, order.id);
        throw err;
      }
      await withTransaction(this.deps.pool, (tx) =>
        this.repo.markPriced(
          tx,
          order.id,
          reservation.items.map((l) => ({
            product_id: l.product_id,
            quantity: l.quantity,
            unit_price: l.unit_price,
            line_total: l.line_total,
            name: l.name,
            sku: l.sku,
          })),
          reservation.total_amount,
          reservation.currency,
        ),
      );
      order = (await this.repo.findById(this.deps.pool, order.id))!;
    }
    if (order.status === 'AWAITING_PAYMENT' && !order.payment_id) {
      let res: Awaited<ReturnType<PaymentClient['create']>>;
      try {
        res = await this.deps.payments.create({
          id: order.id,
          amount: Number(order.total_amount),
          currency: order.currency!.trim(),
          paymentMethod: order.payment_method,
        });
      } catch {
        throw dependencyUnavailable('payment', order.id);
      }
      if (res.status === 200 || res.status === 201) {
        await this.repo.setPaymentId(this.deps.pool, order.id, (res.body as { id: string }).id);
      } else if (res.status >= 500) {
        // Outcome unknown: the payment event (if any) or the expiry sweeper settles the order.
        throw dependencyUnavailable('payment', order.id);
      } else if (res.status === 409) {
        // The order already has a live or captured payment: its event settles the order.
        this.deps.logger.warn({ order_id: order.id, body: res.body }, 'order already has a payment');
      } else {
        this.deps.logger.warn({ order_id: order.id, status: res.status, body: res.body }, 'payment rejected');
        await withTransaction(this.deps.pool, (tx) =>
          this.release(
            tx,
            order.id,
            ['AWAITING_PAYMENT'],
            'PAYMENT_FAILED',
            ORDER_EVENT_TYPES.paymentFailed,
            {
              reason: `payment_rejected_${res.status}`,
            },
          ),
        );
      }
    }
    return this.get(order.id);
  }

  async get(id: string): Promise<Order> {
    const row = await this.repo.findById(this.deps.pool, id);
    if (!row) throw orderNotFound();
    return toOrder(row, await this.repo.items(this.deps.pool, [id]));
  }

  /** Owner or admin; anyone else gets 404 so ids of other users' orders do not leak. */
  async getVisible(user: AuthUser, id: string): Promise<Order> {
    const order = await this.get(id);
    if (order.user_id !== user.id && user.role !== 'admin') throw orderNotFound();
    return order;
  }

  async listMine(
    user: AuthUser,
    limit: number,
    cursor?: string,
  ): Promise<{ items: Order[]; next_cursor: string | null }> {
    let after: { createdAt: Date; id: string } | undefined;
    if (cursor) {
      try {
        const [ts, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
        after = { createdAt: new Date(ts), id };
        if (Number.isNaN(after.createdAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id))
          throw new Error('bad cursor');
      } catch {
        throw new ValidationError({
          detail: 'invalid cursor',
          errors: [{ pointer: '/query/cursor', detail: 'invalid cursor' }],
        });
      }
    }
    const rows = await this.repo.listByUser(this.deps.pool, user.id, limit + 1, after);
    const page = rows.slice(0, limit);
    const items = await this.repo.items(
      this.deps.pool,
      page.map((r) => r.id),
    );
    const byOrder = new Map<string, OrderItemRow[]>();
    for (const i of items) byOrder.set(i.order_id, [...(byOrder.get(i.order_id) ?? []), i]);
    const last = page.at(-1);
    return {
      items: page.map((r) => toOrder(r, byOrder.get(r.id) ?? [])),
      next_cursor:
        rows.length > limit && last
          ? Buffer.from(JSON.stringify([last.created_at.toISOString(), last.id])).toString('base64url')
          : null,
    };
  }

  /**
   * Before payment: CANCELLED and the reservation is released. After payment: the payment is
   * refunded through the payment service first, then REFUNDED and the stock goes back.
   */
  async cancel(user: AuthUser, id: string): Promise<Order> {
    const order = await this.getVisible(user, id);
    if (order.status === 'CANCELLED' || order.status === 'REFUNDED') return order;
    if (order.status === 'PENDING' || order.status === 'AWAITING_PAYMENT') {
      const done = await withTransaction(this.deps.pool, (tx) =>
        this.release(tx, id, ['PENDING', 'AWAITING_PAYMENT'], 'CANCELLED', ORDER_EVENT_TYPES.cancelled, {
          reason: 'cancelled_by_customer',
        }),
      );
      if (done) return this.get(id);
      return this.cancel(user, id); // the status moved meanwhile (e.g. paid): decide again
    }
    if (order.status !== 'PAID' || !order.payment_id) throw notCancellable(order.status);
    let res: { status: number; body: unknown };
    try {
      res = await this.deps.payments.refundFull(order.payment_id, `cancel-${order.id}`, 'order cancelled');
    } catch {
      throw dependencyUnavailable('payment', order.id);
    }
    if (res.status >= 500) throw dependencyUnavailable('payment', order.id);
    if (res.status !== 200 && res.status !== 201) {
      this.deps.logger.warn({ order_id: id, status: res.status, body: res.body }, 'refund rejected');
      throw notCancellable(order.status);
    }
    await withTransaction(this.deps.pool, (tx) =>
      this.release(tx, id, ['PAID'], 'REFUNDED', ORDER_EVENT_TYPES.cancelled, {
        reason: 'cancelled_after_payment',
        refunded: true,
      }),
    );
    return this.get(id);
  }

  // ---- payment callbacks (run inside the consumer's transaction) ----

  async onPaymentSucceeded(event: EventEnvelope, tx: pg.PoolClient): Promise<void> {
    const data = event.data as unknown as PaymentSucceededData;
    const order = await this.repo.findById(tx, data.order_id, true);
    if (!order) {
      this.deps.logger.warn({ order_id: data.order_id }, 'payment for an unknown order');
      return;
    }
    if (order.status === 'AWAITING_PAYMENT' || order.status === 'PENDING') {
      const paid = await this.repo.transition(tx, order.id, ['AWAITING_PAYMENT', 'PENDING'], 'PAID', {
        paymentId: data.payment_id,
      });
      const items = await this.repo.items(tx, [order.id]);
      await this.deps.outbox.enqueue(tx, {
        stream: EVENT_STREAMS.orders,
        type: ORDER_EVENT_TYPES.paid,
        aggregateId: order.id,
        data: {
          order_id: order.id,
          user_id: order.user_id,
          payment_id: data.payment_id,
          total: Number(paid?.total_amount ?? data.amount),
          currency: paid?.currency?.trim() ?? data.currency,
          items: items.map((i) => ({ product_id: Number(i.product_id), quantity: i.quantity })),
        },
      });
      return;
    }
    if (order.status === 'PAID' || order.status === 'REFUNDED') return;
    // Captured after the order was cancelled/expired/failed: give the money back. A failing call
    // throws, the transaction rolls back and the event is retried.
    const res = await this.deps.payments.refundFull(
      data.payment_id,
      `late-${data.payment_id}`,
      'order no longer payable',
    );
    if (res.status !== 200 && res.status !== 201) {
      throw new Error(`refund of late payment ${data.payment_id} answered ${res.status}`);
    }
    await this.repo.setFailureReason(tx, order.id, 'late_payment_refunded');
    this.deps.logger.info({ order_id: order.id, payment_id: data.payment_id }, 'refunded a late payment');
  }

  async onPaymentFailed(event: EventEnvelope, tx: pg.PoolClient): Promise<void> {
    const data = event.data as unknown as PaymentFailedData;
    await this.release(
      tx,
      data.order_id,
      ['AWAITING_PAYMENT', 'PENDING'],
      'PAYMENT_FAILED',
      ORDER_EVENT_TYPES.paymentFailed,
      {
        reason: data.failure_code,
        paymentId: data.payment_id,
      },
    );
  }

  async onPaymentRefunded(event: EventEnvelope, tx: pg.PoolClient): Promise<void> {
    const data = event.data as unknown as PaymentRefundedData;
    if (!data.fully_refunded) return;
    // A refund made directly (admin) on a paid order: the order is refunded and the stock goes back.
    await this.release(tx, data.order_id, ['PAID'], 'REFUNDED', ORDER_EVENT_TYPES.cancelled, {
      reason: 'refunded',
      refunded: true,
    });
  }

  /** Expires unpaid orders whose TTL passed; safe on every replica (SKIP LOCKED). */
  async expireDue(limit = 50): Promise<number> {
    return withTransaction(this.deps.pool, async (tx) => {
      const due = await this.repo.lockExpired(tx, this.now(), limit);
      for (const o of due) {
        await this.release(tx, o.id, ['PENDING', 'AWAITING_PAYMENT'], 'EXPIRED', ORDER_EVENT_TYPES.expired, {
          reason: 'payment_timeout',
        });
      }
      return due.length;
    });
  }

  /** Moves an order to a final state and emits the event that makes product release (or restock). */
  private async release(
    tx: Db,
    id: string,
    from: OrderStatus[],
    to: OrderStatus,
    type: string,
    opts: { reason: string; refunded?: boolean; paymentId?: string },
  ): Promise<boolean> {
    const row = await this.repo.transition(tx, id, from, to, {
      failureReason: opts.reason,
      ...(opts.paymentId ? { paymentId: opts.paymentId } : {}),
    });
    if (!row) return false;
    const items = await this.repo.items(tx, [id]);
    await this.deps.outbox.enqueue(tx, {
      stream: EVENT_STREAMS.orders,
      type,
      aggregateId: id,
      data: {
        order_id: id,
        user_id: row.user_id,
        reason: opts.reason,
        refunded: opts.refunded ?? false,
        items: items.map((i) => ({ product_id: Number(i.product_id), quantity: i.quantity })),
      },
    });
    return true;
  }
}

export { FINAL as FINAL_ORDER_STATUSES };
