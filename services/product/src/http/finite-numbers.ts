import { ValidationError } from '@shop/service-kit';
import type { FastifyInstance } from 'fastify';

/**
 * ajv coerces query/path strings such as `1e400` to Infinity and then skips minimum/maximum for
 * non-finite numbers, so such values would pass validation and fail in PostgreSQL with a 500.
 * This hook (after validation, before handlers) turns them into a 400.
 */
export function rejectNonFiniteNumbers(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    const locations: Array<[string, unknown]> = [
      ['query', request.query],
      ['params', request.params],
    ];
    for (const [location, values] of locations) {
      if (typeof values !== 'object' || values === null) continue;
      for (const [key, value] of Object.entries(values)) {
        const items = Array.isArray(value) ? value : [value];
        if (items.some((v) => typeof v === 'number' && !Number.isFinite(v))) {
          const detail = 'must be a finite number';
          throw new ValidationError({
            detail: `${key} ${detail}`,
            errors: [{ pointer: `/${location}/${key}`, detail }],
          });
        }
      }
    }
  });
}
