import {
  ConflictError,
  DomainError,
  NotFoundError,
  ServiceUnavailableError,
  UnprocessableEntityError,
} from '@shop/service-kit';

export const paymentNotFound = (id: string) =>
  new NotFoundError({ code: 'PAYMENT.NOT_FOUND', detail: `payment ${id} does not exist` });

export const idempotencyKeyReused = () =>
  new UnprocessableEntityError({
    code: 'PAYMENT.IDEMPOTENCY_KEY_REUSED',
    detail: 'This Idempotency-Key was already used with a different request body',
  });

export const orderAlreadyHasPayment = (orderId: string) =>
  new ConflictError({
    code: 'PAYMENT.ORDER_ALREADY_PAID',
    detail: `order ${orderId} already has a payment in progress or captured`,
  });

export const notRefundable = (status: string) =>
  new ConflictError({
    code: 'PAYMENT.NOT_REFUNDABLE',
    detail: `a payment in status ${status} cannot be refunded`,
  });

export const refundExceedsCaptured = (remaining: number) =>
  new UnprocessableEntityError({
    code: 'PAYMENT.REFUND_EXCEEDS_CAPTURED',
    detail: `the refund exceeds the amount still refundable (${remaining})`,
  });

export const providerUnavailable = (detail: string) =>
  new DomainError({ status: 502, code: 'PAYMENT.PROVIDER_ERROR', title: 'Bad Gateway', detail });

/** The `paymentUnreachable` fault flag: the payment API answers as if the service were gone. */
export const paymentUnreachable = () =>
  new ServiceUnavailableError({
    code: 'PAYMENT.UNREACHABLE',
    detail: 'The payment service is unavailable (paymentUnreachable flag)',
    headers: { 'Retry-After': '5' },
  });
