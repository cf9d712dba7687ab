import { describe, expect, it } from 'vitest';
import { DEFAULT_MIX, resolveOptions, serviceOf, tolerateRetryAfter503 } from '../src/options.js';

describe('run options', () => {
  it('always bounds a run in time and in count', () => {
    const onlyRate = resolveOptions({ target: 'http://127.0.0.1:1', arrivalRate: 10, mix: { browse: 1 } });
    expect(onlyRate.durationMs).toBe(60_000);
    expect(onlyRate.maxJourneys).toBe(1210);
    const onlyCount = resolveOptions({
      target: 'http://127.0.0.1:1',
      arrivalRate: 10,
      maxJourneys: 5,
      mix: { browse: 1 },
    });
    expect(onlyCount.maxJourneys).toBe(5);
    expect(onlyCount.durationMs).toBe(3_600_000);
  });

  it('routes each API path to its service, per-service URLs winning over the gateway', () => {
    const o = resolveOptions({
      target: 'http://gw:8080/',
      services: { order: 'http://order:8082' },
      arrivalRate: 1,
      mix: { browse: 1 },
    });
    expect(o.services).toEqual({
      user: 'http://gw:8080',
      product: 'http://gw:8080',
      order: 'http://order:8082',
      payment: 'http://gw:8080',
    });
    expect(
      ['/api/v1/users/login', '/api/v1/categories', '/api/v1/products?q=x', '/api/v1/orders/1'].map(
        serviceOf,
      ),
    ).toEqual(['user', 'product', 'product', 'order']);
  });

  it('fills a partial mix with zeros and refuses restock without admin credentials', () => {
    expect(resolveOptions({ target: 'http://a', arrivalRate: 1, mix: { search: 2 } }).mix).toEqual({
      browse: 0,
      search: 2,
      signup: 0,
      checkout: 0,
      cancel: 0,
      restock: 0,
    });
    expect(() => resolveOptions({ target: 'http://a', arrivalRate: 1, mix: DEFAULT_MIX })).toThrow(
      /restock journey needs admin credentials/,
    );
  });

  it('names the option that is wrong', () => {
    const ok = { target: 'http://a', arrivalRate: 1, mix: { browse: 1 } };
    expect(() => resolveOptions({ ...ok, arrivalRate: 0 })).toThrow(/arrivalRate must be a number > 0/);
    expect(() => resolveOptions({ ...ok, errorBudget: -1 })).toThrow(
      /errorBudget must be a whole number ≥ 0/,
    );
    expect(() => resolveOptions({ ...ok, target: undefined })).toThrow(/no URL for the user service/);
    expect(() => resolveOptions({ ...ok, target: 'not a url' })).toThrow(/is not a URL/);
    expect(() => resolveOptions({ ...ok, mix: { browse: 0 } })).toThrow(/no journey with a weight > 0/);
    expect(() => resolveOptions({ ...ok, paymentMethods: { card: 1 } })).toThrow(/not a tok_\* token/);
  });

  it('tolerateRetryAfter503 tolerates 503 with Retry-After only', () => {
    const res = {
      journey: 'checkout',
      step: 'checkout.order',
      method: 'POST',
      path: '/api/v1/orders',
      body: undefined,
    } as const;
    expect(tolerateRetryAfter503({ ...res, status: '503', headers: { 'retry-after': '1' } }, 'error')).toBe(
      'expected',
    );
    expect(tolerateRetryAfter503({ ...res, status: '503', headers: {} }, 'error')).toBe('error');
    expect(tolerateRetryAfter503({ ...res, status: '500', headers: { 'retry-after': '1' } }, 'error')).toBe(
      'error',
    );
    expect(tolerateRetryAfter503({ ...res, status: '201', headers: {} }, 'ok')).toBe('ok');
  });
});
