import { inventoryErrorCodes as codes } from '@shop/contracts';
import {
  ConflictError,
  type FaultFlags,
  NotFoundError,
  ServiceUnavailableError,
  UnprocessableEntityError,
} from '@shop/service-kit';
import type { ProductCache } from '../products/product-cache.js';
import type { InventoryRepository, Rejection, RequestedLine, Reservation } from './inventory.repository.js';

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

// Pointers name the request lines, so the caller can tell which item failed.
function pointers(items: ReserveInput['items'], productIds: number[], detail: (id: number) => string) {
  const wanted = new Set(productIds);
  return items.flatMap((item, index) =>
    wanted.has(item.product_id)
      ? [{ pointer: `/body/items/${index}/product_id`, detail: detail(item.product_id) }]
      : [],
  );
}

function rejectionError(items: ReserveInput['items'], r: Rejection): Error {
  if (r.unknown.length > 0) {
    return new UnprocessableEntityError({
      code: codes.unknownProduct,
      detail: 'Some products do not exist',
      errors: pointers(items, r.unknown, (id) => `product ${id} does not exist`),
    });
  }
  if (r.inactive.length > 0) {
    return new UnprocessableEntityError({
      code: codes.productUnavailable,
      detail: 'Some products are not for sale',
      errors: pointers(items, r.inactive, (id) => `product ${id} is not for sale`),
    });
  }
  if (r.currencies.length > 0) {
    return new UnprocessableEntityError({
      code: codes.currencyMismatch,
      detail: `One reservation cannot mix currencies (${r.currencies.join(', ')})`,
    });
  }
  const available = new Map(r.insufficient.map((i) => [i.productId, i.available]));
  return new ConflictError({
    code: codes.insufficientStock,
    title: 'Insufficient stock',
    detail: 'Not enough stock for some items; nothing was reserved',
    errors: pointers(
      items,
      r.insufficient.map((i) => i.productId),
      (id) => `only ${available.get(id)} left`,
    ),
  });
}

const notFound = (orderId: string) =>
  new NotFoundError({ code: codes.reservationNotFound, detail: `No reservation for order ${orderId}` });

export function createInventoryService(deps: InventoryServiceDeps): InventoryService {
  const { inventory, cache } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async reserve(input) {
      if (await deps.flags?.roll('inventoryReserveFailure')) {
        throw new ServiceUnavailableError({
          code: 'INVENTORY.UNAVAILABLE',
          detail: 'Reservations are temporarily unavailable (inventoryReserveFailure flag); retry shortly',
          headers: { 'Retry-After': '1' },
        });
      }
      const lines = mergeLines(input.items);
      const ttl = input.ttl_seconds ?? deps.defaultTtlSeconds;
      const outcome = await inventory.reserve(input.order_id, lines, new Date(now().getTime() + ttl * 1000));
      if (outcome.kind === 'rejected') throw rejectionError(input.items, outcome.rejection);
      if (outcome.kind === 'existing') {
        if (!sameLines(outcome.reservation, lines)) {
          throw new ConflictError({
            code: codes.reservationConflict,
            detail: `Order ${input.order_id} already has a reservation with different items`,
          });
        }
        return { created: false, reservation: outcome.reservation };
      }
      await cache.invalidate(lines.map((l) => l.productId));
      return { created: true, reservation: outcome.reservation };
    },

    async commit(orderId) {
      const outcome = await inventory.commit(orderId, now());
      if (outcome.kind === 'missing') throw notFound(orderId);
      const { reservation } = outcome;
      if (outcome.kind === 'changed') await cache.invalidate(outcome.productIds);
      if (reservation.status === 'RETURNED') {
        throw new ConflictError({
          code: codes.reservationReleased,
          detail: `The stock of order ${orderId} was already returned`,
        });
      }
      if (reservation.status === 'RELEASED' || reservation.status === 'EXPIRED') {
        throw new ConflictError({
          code: codes.reservationReleased,
          detail: `The reservation of order ${orderId} is ${reservation.status.toLowerCase()}; its stock was returned`,
        });
      }
      return reservation;
    },

    async release(orderId) {
      const outcome = await inventory.release(orderId);
      if (outcome.kind === 'missing') throw notFound(orderId);
      if (outcome.reservation.status === 'COMMITTED' || outcome.reservation.status === 'RETURNED') {
        throw new ConflictError({
          code: codes.reservationCommitted,
          detail: `The reservation of order ${orderId} is committed; its stock is sold`,
        });
      }
      if (outcome.kind === 'changed') await cache.invalidate(outcome.productIds);
      return outcome.reservation;
    },

    async restock(orderId) {
      const outcome = await inventory.restock(orderId);
      if (outcome.kind === 'missing') throw notFound(orderId);
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
      if (!reservation) throw notFound(orderId);
      return reservation;
    },
  };
}
