// Money is integer minor units plus an ISO 4217 code everywhere in Shop (DESIGN §3). The storefront
// never turns an amount into a float: it builds the decimal string and lets Intl format that string
// exactly (NumberFormat accepts decimal strings), with the currency's own number of minor digits.

const DEFAULT_LOCALE = 'en-US';

/** Digits after the decimal point for a currency (USD 2, JPY 0, BHD 3), as Intl knows them. */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat(DEFAULT_LOCALE, { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits as number;
}

/** `1299`, `USD` → `"12.99"`: the exact decimal string of an amount in minor units. */
export function toDecimalString(amountMinor: number, currency: string): string {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError(`not an integer amount: ${amountMinor}`);
  const digits = minorDigits(currency);
  const sign = amountMinor < 0 ? '-' : '';
  const abs = String(Math.abs(amountMinor)).padStart(digits + 1, '0');
  if (digits === 0) return sign + abs;
  return `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
}

/** `1299`, `USD` → `"$12.99"`; `1299`, `JPY` → `"¥1,299"`. */
export function formatMoney(amountMinor: number, currency: string, locale = DEFAULT_LOCALE): string {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency }).format as (
    value: string,
  ) => string;
  return format(toDecimalString(amountMinor, currency));
}

/**
 * What an admin types (`"12.5"`, `"1,299.00"`) → minor units, or `undefined` when it is not an
 * amount in that currency (negative, more decimals than the currency has, not a number).
 */
export function parseMoney(input: string, currency: string): number | undefined {
  const text = input.trim().replaceAll(',', '');
  const digits = minorDigits(currency);
  const match = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return undefined;
  const minor = Number(match[1] + fraction.padEnd(digits, '0'));
  return Number.isSafeInteger(minor) ? minor : undefined;
}

/** Sum of `quantity × unit price` per currency (a cart may, in principle, mix currencies). */
export function totalsByCurrency(
  lines: ReadonlyArray<{ quantity: number; price_amount: number; currency: string }>,
): Array<{ currency: string; amount: number }> {
  const totals = new Map<string, number>();
  for (const line of lines) {
    totals.set(line.currency, (totals.get(line.currency) ?? 0) + line.quantity * line.price_amount);
  }
  return [...totals].map(([currency, amount]) => ({ currency, amount }));
}
