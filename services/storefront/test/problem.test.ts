import { describe, expect, it } from 'vitest';
import {
  ApiError,
  describeError,
  errorFromResponse,
  fieldOfPointer,
  isRetryable,
  networkError,
  parseRetryAfter,
} from '../src/lib/problem.js';

const headers = (h: Record<string, string> = {}) => new Headers(h);
const problem = (status: number, body: object, h: Record<string, string> = {}) =>
  errorFromResponse(status, headers(h), JSON.stringify(body));

describe('problem+json → readable messages', () => {
  it('maps field pointers to form fields, first message per field, headers are not fields', () => {
    const error = problem(400, {
      title: 'Bad Request',
      code: 'REQUEST.VALIDATION_FAILED',
      errors: [
        { pointer: '/body/password', detail: 'must NOT have fewer than 12 characters' },
        { pointer: '/body/password', detail: 'second message' },
        { pointer: '/body/items/0/quantity', detail: 'too many' },
        { pointer: '/query/min_price', detail: 'must be >= 0' },
        { pointer: '/headers/idempotency-key', detail: 'must be 1–255 characters' },
        { pointer: '/body/a~1b', detail: 'escaped' },
      ],
    });
    expect(error.fieldErrors).toEqual({
      password: 'Must NOT have fewer than 12 characters.',
      'items.0.quantity': 'Too many.',
      min_price: 'Must be >= 0.',
      'a/b': 'Escaped.',
    });
    expect(describeError(error)).toBe('Please correct the highlighted fields.');
    expect(fieldOfPointer('/body')).toBeUndefined();
  });

  it('says how long to wait on 429, from Retry-After seconds or an HTTP date', () => {
    const limited = problem(
      429,
      { code: 'AUTH.TOO_MANY_LOGIN_ATTEMPTS', detail: 'x' },
      { 'retry-after': '120' },
    );
    expect(limited.retryAfterSeconds).toBe(120);
    expect(describeError(limited)).toBe('Too many attempts. Please wait 2 minutes and try again.');
    expect(describeError(problem(429, {}, { 'retry-after': '1' }))).toBe(
      'Too many attempts. Please wait 1 second and try again.',
    );
    expect(describeError(problem(429, {}))).toBe('Too many attempts. Please wait a moment and try again.');
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('garbage', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('offers a retry for 503 (with its wait) and network errors, not for client errors', () => {
    const down = problem(
      503,
      { code: 'ORDER.DEPENDENCY_UNAVAILABLE', detail: 'The payment service is unavailable' },
      {
        'retry-after': '2',
      },
    );
    expect(describeError(down)).toBe('The shop is busy or briefly unavailable. Try again in 2 seconds.');
    expect(isRetryable(down)).toBe(true);
    const offline = networkError(new TypeError('Failed to fetch'));
    expect(describeError(offline)).toMatch(/cannot reach the shop/);
    expect(isRetryable(offline)).toBe(true);
    expect(isRetryable(problem(409, { code: 'ORDER.OUT_OF_STOCK' }))).toBe(false);
    expect(isRetryable(new Error('bug'))).toBe(false);
  });

  it('uses a known sentence per stable code, else the server detail, else the status', () => {
    expect(describeError(problem(401, { code: 'AUTH.INVALID_CREDENTIALS', detail: 'x' }))).toBe(
      'The username or password is not right.',
    );
    expect(describeError(problem(409, { code: 'ORDER.OUT_OF_STOCK', detail: 'x' }))).toMatch(
      /no longer in stock/,
    );
    expect(
      describeError(
        problem(409, { code: 'PRODUCT.SKU_TAKEN', detail: 'Another product already uses this SKU' }),
      ),
    ).toBe('Another product already uses this SKU.');
    expect(describeError(problem(404, {}))).toBe('We could not find what you were looking for.');
    expect(describeError(problem(500, { detail: 'stack trace would be here' }))).toBe(
      'Something went wrong on our side. Please try again.',
    );
    // A proxy's HTML page instead of problem+json: the status decides.
    expect(describeError(errorFromResponse(502, headers(), '<html>Bad Gateway</html>'))).toBe(
      'The shop is busy or briefly unavailable. Try again shortly.',
    );
    expect(describeError(new Error('render bug'))).toMatch(/reload/);
  });

  it('keeps the status, code and problem on the error', () => {
    const error = problem(422, { code: 'ORDER.CURRENCY_MISMATCH', detail: 'mixed' });
    expect(error).toBeInstanceOf(ApiError);
    expect([error.status, error.code, error.message]).toEqual([422, 'ORDER.CURRENCY_MISMATCH', 'mixed']);
  });
});
