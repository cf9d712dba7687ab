import type { FaultFlags } from '@shop/service-kit';
import type { ProductCache } from '../products/product-cache.js';
import {
  rejectionError,
  reservationCommitted,
  reservationConflict,
  reservationNotFound,
  reservationReleased,
  reservationReturned,
  reservationsUnavailable,
} from './inventory.errors.js';
import type { InventoryRepository, RequestedLine, Reservation } from './inventory.repository.js';

export interface ReserveInput {
  order_id: string;
  items: Array<{ product_id: number; quantity: number }>;
  ttl_seconds?: number | undefined;
}

/**
 * Stock reservations for orders. Every method is idempotent, so the HTTP routes and the event
 * consumer (`order.paid` → commit, `order.cancelled` → release) can both call them, and retries or
 * redelivered events are harmless.
 */
export interface InventoryService {
  /** `created` is false when the order already had this reservation (idempotent replay). */
  reserve(input: ReserveInput): Promise<{ created: boolean; reservation: Reservation }>;
  commit(orderId: string): Promise<Reservation>;
  release(orderId: string): Promise<Reservation>;
  /** Puts the stock of a committed (sold, then refunded) or still reserved order back; idempotent. */
  restock(orderId: string): Promise<Reservation>;
  /** Returns the stock of reservations whose hold time passed; safe on every replica at once. */
  expireDue(limit?: number): Promise<number>;
  get(orderId: string): Promise<Reservation>;
}

export interface InventoryServiceDeps {
  inventory: InventoryRepository;
  cache: ProductCache;
  defaultTtlSeconds: number;
  now?: () => Date;
  /** `inventoryReserveFailure` answers that share of reservations 503 (off without flags). */
  flags?: Pick<FaultFlags, 'roll'>;
}

/** Same product twice in one request counts once, with the quantities added up. */
function mergeLines(items: ReserveInput['items']): RequestedLine[] {
  const merged = new Map<number, number>();
  for (const item of items) merged.set(item.product_id, (merged.get(item.product_id) ?? 0) + item.quantity);
  return [...merged.entries()]
    .sort(([a], [b]) => a - b)
    .map(([productId, quantity]) => ({ productId, quantity }));
}

const sameLines = (reservation: Reservation, lines: RequestedLine[]) =>
  reservation.items.length === lines.length &&
  reservation.items.every(
    (item, i) => item.product_id === lines[i]!.productId && item.quantity === lines[i]!.quantity,
  );

export function createInventoryService(deps: InventoryServiceDeps): InventoryService {
  const { inventory, cache } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async reserve(input) {
      if (await deps.flags?.roll('inventoryReserveFailure')) {
        throw reservationsUnavailable();
      }
      const lines = mergeLines(input.items);
      const ttl = input.ttl_seconds ?? deps.defaultTtlSeconds;
      const outcome = await inventory.reserve(input.order_id, lines, new Date(now().getTime() + ttl * 1000));
      if (outcome.kind === 'rejected') throw rejectionError(input.items, outcome.rejection);
      if (outcome.kind === 'existing') {
        if (!sameLines(outcome.reservation, lines)) {
          throw reservationConflict(input.order_id);
        }
        return { created: false, reservation: outcome.reservation };
      }
      await cache.invalidate(lines.map((l) => l.productId));
      return { created: true, reservation: outcome.reservation };
    },

    async commit(orderId) {
      const outcome = await inventory.commit(orderId, now());
      if (outcome.kind === 'missing') throw reservationNotFound(orderId);
      const { reservation } = outcome;
      if (outcome.kind === 'changed') await cache.invalidate(outcome.productIds);
      if (reservation.status === 'RETURNED') {
        throw reservationReturned(orderId);
      }
      if (reservation.status === 'RELEASED' || reservation.status === 'EXPIRED') {
        throw reservationReleased(orderId, reservation.status);
      }
      return reservation;
    },

    async release(orderId) {
      const outcome = await inventory.release(orderId);
      if (outcome.kind === 'missing') throw reservationNotFound(orderId);
      if (outcome.reservation.status === 'COMMITTED' || outcome.reservation.status === 'RETURNED') {
        throw reservationCommitted(orderId);
      }
      if (outcome.kind === 'changed') await cache.invalidate(outcome.productIds);
      return outcome.reservation;
    },

    async restock(orderId) {
      const outcome = await inventory.restock(orderId);
      if (outcome.kind === 'missing') throw reservationNotFound(orderId);
      if (outcome.kind === 'changed') await cache.invalidate(outcome.productIds);
      return outcome.reservation;
    },

    async expireDue(limit = 100) {
      const { orderIds, productIds } = await inventory.expireDue(now(), limit);
      await cache.invalidate(productIds);
      return orderIds.length;
    },

    async get(orderId) {
      const reservation = await inventory.find(orderId);
      if (!reservation) throw reservationNotFound(orderId);
      return reservation;
    },
  };
}
