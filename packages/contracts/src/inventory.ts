// Inventory reservation API of the product service (internal, `X-Internal-Token`), used by the
// order service. The product service validates requests with the JSON Schema derived from the request
// schemas below (unknown fields refused, hence strict objects); the order service parses answers with
// the response schemas, and the product service's tests parse its answers with them too.
import { z } from 'zod';

/** Paths of the internal reservation routes, relative to PRODUCT_SERVICE_URL. */
export const inventoryPaths = {
  reserve: '/internal/v1/reservations',
  commit: (orderId: string) => `/internal/v1/reservations/${encodeURIComponent(orderId)}/commit`,
  release: (orderId: string) => `/internal/v1/reservations/${encodeURIComponent(orderId)}/release`,
  /** Refund after payment: COMMITTED → RETURNED (RESERVED → RELEASED), stock back; idempotent. */
  restock: (orderId: string) => `/internal/v1/reservations/${encodeURIComponent(orderId)}/restock`,
} as const;

/** An order id as the product service stores it: 1–64 URL-safe characters (a UUID fits). */
export const reservationOrderIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/);

export const reservationItemRequestSchema = z.strictObject({
  product_id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  quantity: z.number().int().min(1).max(10_000),
});

/**
 * `POST /internal/v1/reservations`. All-or-nothing; idempotent per `order_id` (the same body again
 * returns the existing reservation, a different body for the same order answers 409).
 * Lines naming the same product twice are merged.
 */
export const reserveRequestSchema = z.strictObject({
  order_id: reservationOrderIdSchema,
  items: z.array(reservationItemRequestSchema).min(1).max(100),
  /** How long the stock stays held before the sweeper returns it; default 900 s. */
  ttl_seconds: z.number().int().min(1).max(86_400).optional(),
});

export const reservationStatusSchema = z.enum(['RESERVED', 'COMMITTED', 'RELEASED', 'EXPIRED', 'RETURNED']);

export const reservedLineSchema = z.object({
  product_id: z.number().int(),
  sku: z.string(),
  name: z.string(),
  quantity: z.number().int(),
  /** Price per unit in minor units at reservation time — the price the order must charge. */
  unit_price: z.number().int(),
  currency: z.string().length(3),
  line_total: z.number().int(),
});

/** Answer of reserve, commit, release and restock (201 on a new reservation, 200 otherwise). */
export const reservationSchema = z.object({
  order_id: z.string(),
  status: reservationStatusSchema,
  currency: z.string().length(3),
  total_amount: z.number().int(),
  expires_at: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  items: z.array(reservedLineSchema),
});

export type ReserveRequest = z.infer<typeof reserveRequestSchema>;
export type ReservationStatus = z.infer<typeof reservationStatusSchema>;
export type ReservedLine = z.infer<typeof reservedLineSchema>;
export type Reservation = z.infer<typeof reservationSchema>;

/**
 * Stable `code` values of the problem+json errors these routes answer with:
 * 409 INSUFFICIENT_STOCK (nothing was reserved; `errors[].pointer` names the lines),
 * (commit of a RETURNED reservation also answers RESERVATION_RELEASED, release of one RESERVATION_COMMITTED),
 * 422 UNKNOWN_PRODUCT / PRODUCT_UNAVAILABLE / CURRENCY_MISMATCH, 409 RESERVATION_CONFLICT (same
 * order id, different items), 404 RESERVATION_NOT_FOUND, 409 RESERVATION_RELEASED (commit after
 * release/expiry), 409 RESERVATION_COMMITTED (release after commit).
 */
export const inventoryErrorCodes = {
  insufficientStock: 'INVENTORY.INSUFFICIENT_STOCK',
  unknownProduct: 'INVENTORY.UNKNOWN_PRODUCT',
  productUnavailable: 'INVENTORY.PRODUCT_UNAVAILABLE',
  currencyMismatch: 'INVENTORY.CURRENCY_MISMATCH',
  reservationConflict: 'INVENTORY.RESERVATION_CONFLICT',
  reservationNotFound: 'INVENTORY.RESERVATION_NOT_FOUND',
  reservationReleased: 'INVENTORY.RESERVATION_RELEASED',
  reservationCommitted: 'INVENTORY.RESERVATION_COMMITTED',
} as const;
