import { invalidCursor as invalid } from './products.errors.js';
import type { Keyset } from './products.repository.js';
import type { ProductSort } from './products.schemas.js';

/**
 * Opaque page cursor: base64url JSON of the sort it belongs to and the last row's sort key and id.
 * It is bound to the sort so a cursor cannot be replayed under a different ordering.
 */
export function encodeCursor(sort: ProductSort, keyset: Keyset): string {
  return Buffer.from(JSON.stringify({ s: sort, k: keyset.key, i: keyset.id })).toString('base64url');
}

export function decodeCursor(cursor: string, sort: ProductSort): Keyset {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('cursor is not valid');
  }
  const c = parsed as { s?: unknown; k?: unknown; i?: unknown } | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.k !== 'string' ||
    c.k.length > 256 ||
    c.k.includes('\u0000') ||
    typeof c.i !== 'number' ||
    !Number.isSafeInteger(c.i) ||
    c.i < 0
  ) {
    throw invalid('cursor is not valid');
  }
  if (c.s !== sort) throw invalid('cursor belongs to a different sort order');
  // Numeric sort keys go to PostgreSQL as bigint/real casts; reject anything that would not parse.
  const numeric: Partial<Record<ProductSort, RegExp>> = {
    price_asc: /^\d{1,15}$/,
    price_desc: /^\d{1,15}$/,
    relevance: /^\d+(\.\d+)?(e-?\d+)?$/i,
  };
  if (numeric[sort] && !numeric[sort].test(c.k)) throw invalid('cursor is not valid');
  return { key: c.k, id: c.i };
}
