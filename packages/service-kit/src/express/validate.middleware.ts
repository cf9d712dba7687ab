import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { FieldIssue } from '../errors/domain-errors.js';
import { ValidationError } from '../errors/domain-errors.js';
import { issuesFromZod } from '../errors/validation-issues.js';

export interface ValidateSchemas {
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  headers?: z.ZodType;
}

/**
 * Validates `req.body`, `req.query`, `req.params` (and headers) with zod; replaces each with the
 * parsed value, or answers 400 problem+json whose `errors` point at every invalid field
 * (`/body/items/0/quantity`).
 */
export function validate(schemas: ValidateSchemas): RequestHandler {
  const parts = Object.entries(schemas) as [keyof ValidateSchemas, z.ZodType][];
  return (req: Request, _res: Response, next: NextFunction) => {
    const issues: FieldIssue[] = [];
    const parsed: Partial<Record<keyof ValidateSchemas, unknown>> = {};
    for (const [location, schema] of parts) {
      const result = schema.safeParse(req[location] ?? (location === 'body' ? undefined : {}));
      if (result.success) parsed[location] = result.data;
      else issues.push(...issuesFromZod(result.error.issues, location));
    }
    if (issues.length > 0) {
      next(
        new ValidationError({
          detail: issues.length === 1 ? issues[0]!.detail : `${issues.length} fields are invalid`,
          errors: issues,
        }),
      );
      return;
    }
    for (const [location, value] of Object.entries(parsed)) {
      // Express 5 defines req.query as a getter; an own property shadows it with the parsed value.
      Object.defineProperty(req, location, { value, writable: true, configurable: true, enumerable: true });
    }
    next();
  };
}
