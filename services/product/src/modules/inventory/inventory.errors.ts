// The inventory module's error codes and DomainErrors. The reservation codes are part of the internal
// API contract (`inventoryErrorCodes` in @shop/contracts: the order service branches on them).
import { inventoryErrorCodes as codes } from '@shop/contracts';
import {
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
  UnprocessableEntityError,
} from '@shop/service-kit';
import type { Rejection, ReservationStatus } from './inventory.repository.js';

export const InventoryErrorCodes = {
  ...codes,
  unavailable: 'INVENTORY.UNAVAILABLE',
} as const;

/** The `items` of a reservation request, as the caller sent them. */
type RequestItems = ReadonlyArray<{ product_id: number; quantity: number }>;

// Pointers name the request lines, so the caller can tell which item failed.
function pointers(items: RequestItems, productIds: number[], detail: (id: number) => string) {
  const wanted = new Set(productIds);
  return items.flatMap((item, index) =>
    wanted.has(item.product_id)
      ? [{ pointer: `/body/items/${index}/product_id`, detail: detail(item.product_id) }]
      : [],
  );
}

export function rejectionError(items: RequestItems, r: Rejection): Error {
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

export const reservationNotFound = (orderId: string) =>
  new NotFoundError({ code: codes.reservationNotFound, detail: `No reservation for order ${orderId}` });

/** `inventoryReserveFailure` flag: a share of reservations answers 503. */
export const reservationsUnavailable = () =>
  new ServiceUnavailableError({
    code: InventoryErrorCodes.unavailable,
    detail: 'Reservations are temporarily unavailable (inventoryReserveFailure flag); retry shortly',
    headers: { 'Retry-After': '1' },
  });

export const reservationConflict = (orderId: string) =>
  new ConflictError({
    code: codes.reservationConflict,
    detail: `Order ${orderId} already has a reservation with different items`,
  });

export const reservationReturned = (orderId: string) =>
  new ConflictError({
    code: codes.reservationReleased,
    detail: `The stock of order ${orderId} was already returned`,
  });

export const reservationReleased = (orderId: string, status: ReservationStatus) =>
  new ConflictError({
    code: codes.reservationReleased,
    detail: `The reservation of order ${orderId} is ${status.toLowerCase()}; its stock was returned`,
  });

export const reservationCommitted = (orderId: string) =>
  new ConflictError({
    code: codes.reservationCommitted,
    detail: `The reservation of order ${orderId} is committed; its stock is sold`,
  });
