import { Ajv, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the callable is that member.
const addFormats = ajvFormats.default;

/** Thrown when a handler produced a body its route schema does not allow — a server bug, so 500. */
export class ResponseValidationError extends Error {
  override name = 'ResponseValidationError';
  readonly statusCode = 500;
  constructor(readonly issues: string) {
    super(`response does not match its schema: ${issues}`);
  }
}

/**
 * Makes every route's response schema a contract that is checked, not only a serialisation hint:
 * fast-json-stringify silently drops unknown fields and coerces types, which would hide bugs (and
 * could leak a column the schema never allowed if the fast path were ever bypassed).
 * Bodies are validated with ajv (strict on additional properties) and then stringified.
 */
export function validateResponses(app: FastifyInstance): void {
  const ajv = new Ajv({ allErrors: true, strict: false, removeAdditional: false, coerceTypes: false });
  addFormats(ajv);
  const cache = new WeakMap<object, ValidateFunction>();
  app.setSerializerCompiler(({ schema }) => {
    let validate = cache.get(schema as object);
    if (!validate) {
      validate = ajv.compile(schema as object);
      cache.set(schema as object, validate);
    }
    const check = validate;
    return (data) => {
      if (!check(data)) throw new ResponseValidationError(ajv.errorsText(check.errors));
      return JSON.stringify(data);
    };
  });
}
