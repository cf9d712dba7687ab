import { z } from 'zod';

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof unitMs;
const pattern = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/** Parses `500ms`, `10s`, `1m`, `2h` or a bare number in `defaultUnit`; returns milliseconds or undefined. */
export function parseDurationMs(input: string | number, defaultUnit: Unit = 'ms'): number | undefined {
  if (typeof input === 'number')
    return Number.isFinite(input) && input >= 0 ? input * unitMs[defaultUnit] : undefined;
  const match = pattern.exec(input.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * unitMs[(match[2] as Unit | undefined) ?? defaultUnit]);
}

/**
 * A zod field for durations given either with a unit (`10s`, as in the seed's ConfigMap) or as a
 * bare number in `defaultUnit`; the parsed value is always milliseconds.
 */
export function durationMs(defaultUnit: Unit, defaultMs: number) {
  return z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      const ms = parseDurationMs(value, defaultUnit);
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration such as 500ms, 10s or 1m (bare numbers are ${defaultUnit})`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .default(defaultMs);
}
