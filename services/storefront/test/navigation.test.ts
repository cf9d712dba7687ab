import { describe, expect, it } from 'vitest';
import { safeNext } from '../src/lib/navigation.js';

describe('where the login sends you next', () => {
  it('keeps a path on this site, query included', () => {
    expect(safeNext('/checkout')).toBe('/checkout');
    expect(safeNext('/orders/abc?x=1')).toBe('/orders/abc?x=1');
  });

  it('never leaves the site (no open redirect), whatever the parameter says', () => {
    for (const next of [
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
      '',
      undefined,
    ]) {
      expect(safeNext(next), String(next)).toBe('/');
    }
  });
});
