import {
  ConflictError,
  type FieldIssue,
  NotFoundError,
  ServiceUnavailableError,
  UnprocessableEntityError,
} from '@shop/service-kit';

export const orderNotFound = () => new NotFoundError({ code: 'ORDER.NOT_FOUND', detail: 'order not found' });

export const idempotencyKeyReused = () =>
  new UnprocessableEntityError({
    code: 'ORDER.IDEMPOTENCY_KEY_REUSED',
    detail: 'This Idempotency-Key was already used with a different request body',
  });

export const idempotentRequestInProgress = () =>
  new ConflictError({
    code: 'ORDER.IDEMPOTENT_REQUEST_IN_PROGRESS',
    detail: 'A request with this Idempotency-Key is still being processed',
    headers: { 'Retry-After': '1' },
  });

export const outOfStock = (errors: FieldIssue[] | undefined, detail?: string) =>
  new ConflictError({
    code: 'ORDER.OUT_OF_STOCK',
    detail: detail ?? 'Not enough stock for one or more items',
    ...(errors ? { errors } : {}),
  });

export const productUnavailable = (code: string, detail: string | undefined, errors?: FieldIssue[]) =>
  new UnprocessableEntityError({
    code: code === 'INVENTORY.CURRENCY_MISMATCH' ? 'ORDER.CURRENCY_MISMATCH' : 'ORDER.PRODUCT_UNAVAILABLE',
    detail: detail ?? 'One or more products cannot be ordered',
    ...(errors ? { errors } : {}),
  });

export const dependencyUnavailable = (service: string, orderId?: string) =>
  new ServiceUnavailableError({
    code: 'ORDER.DEPENDENCY_UNAVAILABLE',
    detail: `The ${service} service is unavailable; retry with the same Idempotency-Key${orderId ? ` (order ${orderId})` : ''}`,
    headers: { 'Retry-After': '2' },
  });

export const notCancellable = (status: string) =>
  new ConflictError({
    code: 'ORDER.NOT_CANCELLABLE',
    detail: `an order in status ${status} cannot be cancelled`,
  });
