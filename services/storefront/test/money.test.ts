import { describe, expect, it } from 'vitest';
import {
  formatMoney as format,
  minorDigits,
  parseMoney,
  toDecimalString,
  totalsByCurrency,
} from '../src/lib/money.js';

// Intl separates currency codes with a no-break space; compare with plain spaces.
const formatMoney = (...args: Parameters<typeof format>) => format(...args).replaceAll('\u00a0', ' ');

describe('money in minor units', () => {
  it('formats minor units with the currency’s own number of digits', () => {
    expect(formatMoney(1299, 'USD')).toBe('$12.99');
    expect(formatMoney(5, 'USD')).toBe('$0.05');
    expect(formatMoney(0, 'EUR')).toBe('€0.00');
    expect(formatMoney(1299, 'JPY')).toBe('¥1,299');
    expect(formatMoney(12345, 'BHD')).toBe('BHD 12.345');
    expect(formatMoney(-250, 'USD')).toBe('-$2.50');
    expect(formatMoney(123456789, 'USD', 'de-DE')).toBe('1.234.567,89 $');
  });

  it('stays exact beyond what a float can hold in cents (no floating-point rounding)', () => {
    // 90071992547409.91 is not representable as a double; the decimal string is formatted as is.
    expect(toDecimalString(9_007_199_254_740_991, 'USD')).toBe('90071992547409.91');
    expect(formatMoney(9_007_199_254_740_991, 'USD')).toBe('$90,071,992,547,409.91');
    expect(() => toDecimalString(1.5, 'USD')).toThrow(RangeError);
  });

  it('knows minor digits per currency', () => {
    expect([minorDigits('USD'), minorDigits('JPY'), minorDigits('KWD')]).toEqual([2, 0, 3]);
  });

  it('parses typed prices into minor units and refuses what is not an amount in that currency', () => {
    expect(parseMoney('12.5', 'USD')).toBe(1250);
    expect(parseMoney(' 1,299.00 ', 'USD')).toBe(129900);
    expect(parseMoney('7', 'USD')).toBe(700);
    expect(parseMoney('1299', 'JPY')).toBe(1299);
    expect(parseMoney('12.345', 'USD')).toBeUndefined();
    expect(parseMoney('12.5', 'JPY')).toBeUndefined();
    expect(parseMoney('-1', 'USD')).toBeUndefined();
    expect(parseMoney('1e3', 'USD')).toBeUndefined();
    expect(parseMoney('', 'USD')).toBeUndefined();
  });

  it('totals cart lines per currency', () => {
    expect(
      totalsByCurrency([
        { quantity: 2, price_amount: 1299, currency: 'USD' },
        { quantity: 1, price_amount: 100, currency: 'USD' },
        { quantity: 3, price_amount: 500, currency: 'JPY' },
      ]),
    ).toEqual([
      { currency: 'USD', amount: 2698 },
      { currency: 'JPY', amount: 1500 },
    ]);
  });
});
