import type { FieldIssue } from './domain-errors.js';

/** RFC 6901 escaping of one pointer segment. */
function escapeSegment(segment: PropertyKey): string {
  return String(segment).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Builds `/body/items/0/quantity` from a location (`body`) and a path. */
export function jsonPointer(location: string, path: readonly PropertyKey[]): string {
  const prefix = location === '' ? '' : `/${escapeSegment(location)}`;
  return prefix + path.map((s) => `/${escapeSegment(s)}`).join('');
}

interface ZodIssueLike {
  path: readonly PropertyKey[];
  message: string;
}

/** Structural check so both zod v3/v4 errors and errors from another zod copy are recognised. */
export function isZodError(err: unknown): err is { issues: ZodIssueLike[] } {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'ZodError' &&
    Array.isArray((err as { issues?: unknown }).issues)
  );
}

/** Zod issues → field pointers under `location` (`body`, `query`, `params`, or '' when the path already says). */
export function issuesFromZod(issues: readonly ZodIssueLike[], location: string): FieldIssue[] {
  return issues.map((issue) => ({ pointer: jsonPointer(location, issue.path), detail: issue.message }));
}

interface AjvErrorLike {
  instancePath?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
  message?: string;
  // fastify-type-provider-zod and similar put zod-like issues in `validation`
  path?: readonly PropertyKey[];
}

// fastify names the query location `querystring`; the pointer uses the shorter public name.
const locationNames: Record<string, string> = {
  querystring: 'query',
  params: 'params',
  body: 'body',
  headers: 'headers',
};

/** fastify/ajv validation errors (`error.validation`) → field pointers. */
export function issuesFromAjv(validation: readonly unknown[], context: string): FieldIssue[] {
  const location = locationNames[context] ?? context;
  return validation.map((raw) => {
    const v = (raw ?? {}) as AjvErrorLike;
    if (Array.isArray(v.path))
      return { pointer: jsonPointer(location, v.path), detail: v.message ?? 'is invalid' };
    let pointer = `/${location}${v.instancePath ?? ''}`;
    const extra = v.params?.missingProperty ?? v.params?.additionalProperty;
    if (extra !== undefined) pointer += `/${escapeSegment(extra)}`;
    return { pointer, detail: v.message ?? 'is invalid' };
  });
}
