import { orderNotFound } from './orders.errors.js';
import type { OrderItemRow, OrderRow, OrderStatus, OrdersRepository } from './orders.repository.js';

export interface OrderItem {
  product_id: number;
  quantity: number;
  unit_price: number | null;
  line_total: number | null;
  name: string | null;
  sku: string | null;
}

/** An order as the API answers it. */
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

/** The log lines the order flows write (the kit's logger, or a fake in unit tests). */
export interface OrdersLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export function toOrder(row: OrderRow, items: OrderItemRow[]): Order {
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

/** Reads one order with its lines; 404 when it does not exist. */
export async function loadOrder(repository: OrdersRepository, id: string): Promise<Order> {
  const found = await repository.findWithItems(id);
  if (!found) throw orderNotFound();
  return toOrder(found.row, found.items);
}
