import {
  ConflictError,
  DomainError,
  NotFoundError,
  PreconditionFailedError,
  UnprocessableEntityError,
  ValidationError,
} from '@shop/service-kit';

export const productNotFound = () =>
  new NotFoundError({ code: 'PRODUCT.NOT_FOUND', detail: 'No such product' });

export const skuTaken = () =>
  new ConflictError({
    code: 'PRODUCT.SKU_TAKEN',
    detail: 'Another product already uses this SKU',
    errors: [{ pointer: '/body/sku', detail: 'sku is already in use' }],
  });

export const unknownCategory = () =>
  new UnprocessableEntityError({
    code: 'PRODUCT.UNKNOWN_CATEGORY',
    detail: 'The category does not exist',
    errors: [{ pointer: '/body/category_id', detail: 'no such category' }],
  });

export const staleVersion = () =>
  new PreconditionFailedError({
    code: 'PRODUCT.VERSION_MISMATCH',
    detail: 'The product changed since you read it; GET it again and retry with the new ETag',
  });

/** 428: updates must say which version they change (RFC 6585), so lost updates are impossible. */
export const ifMatchRequired = () =>
  new DomainError({
    status: 428,
    code: 'REQUEST.PRECONDITION_REQUIRED',
    title: 'Precondition Required',
    detail: 'Send If-Match with the ETag from GET /api/v1/products/{id}',
  });

/** A search cursor that is not one of ours, or belongs to another sort. */
export const invalidCursor = (detail: string) =>
  new ValidationError({
    code: 'PRODUCT.INVALID_CURSOR',
    detail,
    errors: [{ pointer: '/query/cursor', detail }],
  });

export const priceRangeInverted = () =>
  new ValidationError({
    detail: 'min_price must not exceed max_price',
    errors: [{ pointer: '/query/min_price', detail: 'must not exceed max_price' }],
  });
