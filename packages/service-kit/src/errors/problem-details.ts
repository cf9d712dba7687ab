import { STATUS_CODES } from 'node:http';
import {
  type DependencyFailure,
  DependencyUnavailableError,
  dependencyFailureOf,
} from '../resilience/dependency-errors.js';
import { DomainError, type FieldIssue } from './domain-errors.js';
import { issuesFromAjv, issuesFromZod, isZodError } from './validation-issues.js';

/** RFC 9457 problem details as every Shop service sends them. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  errors?: FieldIssue[];
}

/** What an adapter needs to answer: status, body and extra headers. */
export interface ProblemResponse {
  status: number;
  body: ProblemDetails;
  headers: Record<string, string>;
  /** true when the error is unexpected (5xx not raised on purpose) and deserves an error log with stack. */
  unexpected: boolean;
  /** Set when the cause is an unreachable dependency (PostgreSQL, Redis, an upstream): a 503, not a bug. */
  dependency?: DependencyFailure;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Stable codes for errors the kit raises itself. */
export const KitErrorCodes = {
  validation: 'REQUEST.VALIDATION_FAILED',
  malformedBody: 'REQUEST.MALFORMED_BODY',
  badRequest: 'REQUEST.BAD_REQUEST',
  bodyTooLarge: 'REQUEST.BODY_TOO_LARGE',
  unsupportedMediaType: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  routeNotFound: 'ROUTE.NOT_FOUND',
  methodNotAllowed: 'ROUTE.METHOD_NOT_ALLOWED',
  internal: 'INTERNAL.ERROR',
  dependencyUnavailable: 'DEPENDENCY.UNAVAILABLE',
  draining: 'SERVICE.DRAINING',
} as const;

const codeByStatus: Record<number, string> = {
  400: KitErrorCodes.badRequest,
  404: KitErrorCodes.routeNotFound,
  405: KitErrorCodes.methodNotAllowed,
  413: KitErrorCodes.bodyTooLarge,
  415: KitErrorCodes.unsupportedMediaType,
};

function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function build(
  status: number,
  code: string,
  fields: { title?: string; detail?: string; type?: string; errors?: FieldIssue[]; instance?: string },
): ProblemDetails {
  const body: ProblemDetails = {
    type: fields.type ?? 'about:blank',
    title: fields.title ?? statusTitle(status),
    status,
    code,
  };
  if (fields.detail !== undefined) body.detail = fields.detail;
  if (fields.instance !== undefined) body.instance = fields.instance;
  if (fields.errors !== undefined && fields.errors.length > 0) body.errors = fields.errors;
  return body;
}

interface ErrorLike {
  status?: unknown;
  statusCode?: unknown;
  message?: unknown;
  expose?: unknown;
  type?: unknown;
  code?: unknown;
  validation?: unknown;
  validationContext?: unknown;
}

function httpStatusOf(err: ErrorLike): number | undefined {
  const candidate = err.statusCode ?? err.status;
  return typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 400 && candidate <= 599
    ? candidate
    : undefined;
}

/**
 * Maps any thrown value to a problem+json answer. Domain errors keep their code; framework errors
 * (validation, body too large, bad media type, malformed JSON) get kit codes; a PostgreSQL, Redis or
 * upstream connection failure (refused, reset, terminated, starting up, timed out) is 503
 * `DEPENDENCY.UNAVAILABLE` with `Retry-After`; everything else is a 500 whose body reveals nothing
 * about the cause.
 */
export function problemFromError(err: unknown, options: { instance?: string } = {}): ProblemResponse {
  const instance = options.instance;
  if (!(err instanceof DomainError)) {
    const failure = dependencyFailureOf(err);
    if (failure) {
      return { ...problemFromError(new DependencyUnavailableError(failure), options), dependency: failure };
    }
  }
  if (err instanceof DomainError) {
    return {
      status: err.status,
      body: build(err.status, err.code, { ...pickDefined(err), instance }),
      headers: err.headers ?? {},
      unexpected: false,
    };
  }
  if (isZodError(err)) {
    return validationProblem(issuesFromZod(err.issues, ''), instance);
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  if (Array.isArray(e.validation)) {
    const context = typeof e.validationContext === 'string' ? e.validationContext : 'body';
    return validationProblem(issuesFromAjv(e.validation, context), instance);
  }
  const status = httpStatusOf(e);
  if (status !== undefined && status < 500) {
    const malformed =
      e.type === 'entity.parse.failed' ||
      e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      err instanceof SyntaxError;
    const code =
      malformed && status === 400 ? KitErrorCodes.malformedBody : (codeByStatus[status] ?? `HTTP.${status}`);
    // 4xx framework messages describe the request, not the server; still never echo raw parser input.
    const detail = malformed ? 'The request body is not valid JSON' : exposedMessage(e);
    return { status, body: build(status, code, { detail, instance }), headers: {}, unexpected: false };
  }
  const finalStatus = status ?? 500;
  return {
    status: finalStatus,
    body: build(finalStatus, KitErrorCodes.internal, { detail: 'An unexpected error occurred', instance }),
    headers: {},
    unexpected: true,
  };
}

/** A 400 validation problem with one entry per invalid field. */
export function validationProblem(errors: FieldIssue[], instance?: string): ProblemResponse {
  return {
    status: 400,
    body: build(400, KitErrorCodes.validation, {
      title: 'Request validation failed',
      detail: errors.length === 1 ? errors[0]!.detail : `${errors.length} fields are invalid`,
      errors,
      instance,
    }),
    headers: {},
    unexpected: false,
  };
}

/** The 503 a request gets when it reaches an instance that is shutting down: safe to retry elsewhere. */
export function drainingProblem(path: string): ProblemResponse {
  return {
    status: 503,
    body: build(503, KitErrorCodes.draining, {
      title: 'Service Unavailable',
      detail: 'This instance is shutting down; the request was not processed, retry it',
      instance: path,
    }),
    headers: { 'Retry-After': '1', Connection: 'close' },
    unexpected: false,
  };
}

/** The 404 every unknown route answers with. */
export function routeNotFoundProblem(method: string, path: string): ProblemResponse {
  return {
    status: 404,
    body: build(404, KitErrorCodes.routeNotFound, {
      detail: `No route for ${method} ${path}`,
      instance: path,
    }),
    headers: {},
    unexpected: false,
  };
}

function exposedMessage(e: ErrorLike): string | undefined {
  if (e.expose === false) return undefined;
  return typeof e.message === 'string' && e.message.length > 0 ? e.message.slice(0, 500) : undefined;
}

function pickDefined(err: DomainError) {
  const out: { title: string; detail?: string; type?: string; errors?: FieldIssue[] } = { title: err.title };
  if (err.detail !== undefined) out.detail = err.detail;
  if (err.type !== undefined) out.type = err.type;
  if (err.errors !== undefined) out.errors = err.errors;
  return out;
}
