/** One field-level problem inside a 400/422 answer; `pointer` is a JSON pointer such as `/body/password`. */
export interface FieldIssue {
  pointer: string;
  detail: string;
}

/** Options every domain error carries; `code` is stable and machine-readable (`ORDER.NOT_FOUND`). */
export interface DomainErrorOptions {
  status: number;
  code: string;
  title: string;
  detail?: string;
  type?: string;
  errors?: FieldIssue[];
  /** Extra response headers, e.g. `Retry-After` for 429/503 or `WWW-Authenticate` for 401. */
  headers?: Record<string, string>;
  cause?: unknown;
}

type SubclassOptions = Partial<Omit<DomainErrorOptions, 'status'>>;

/** Base class for errors that are safe to show to clients; mapped to problem+json by both adapters. */
export class DomainError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly type: string | undefined;
  readonly errors: FieldIssue[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(options: DomainErrorOptions) {
    super(
      options.detail ?? options.title,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.status = options.status;
    this.code = options.code;
    this.title = options.title;
    this.detail = options.detail;
    this.type = options.type;
    this.errors = options.errors;
    this.headers = options.headers;
  }
}

type SubclassArgument = SubclassOptions | string;

/** A DomainError subclass with a fixed status and default code/title, so call sites stay one line. */
function domainErrorClass(name: string, status: number, code: string, title: string) {
  const subclass = class extends DomainError {
    constructor(options: SubclassArgument = {}) {
      const opts = typeof options === 'string' ? { detail: options } : options;
      super({ ...opts, status, code: opts.code ?? code, title: opts.title ?? title });
    }
  };
  // DomainError names instances after new.target, so deeper subclasses keep their own names.
  Object.defineProperty(subclass, 'name', { value: name });
  return subclass;
}

/** 400 with field pointers. */
export const ValidationError = domainErrorClass(
  'ValidationError',
  400,
  'REQUEST.VALIDATION_FAILED',
  'Request validation failed',
);
export type ValidationError = InstanceType<typeof ValidationError>;
/** 401: missing or invalid credentials. */
export const UnauthorizedError = domainErrorClass(
  'UnauthorizedError',
  401,
  'AUTH.UNAUTHORIZED',
  'Unauthorized',
);
export type UnauthorizedError = InstanceType<typeof UnauthorizedError>;
/** 403: authenticated but not allowed. */
export const ForbiddenError = domainErrorClass('ForbiddenError', 403, 'AUTH.FORBIDDEN', 'Forbidden');
export type ForbiddenError = InstanceType<typeof ForbiddenError>;
/** 404: the resource does not exist (or is not visible to the caller). */
export const NotFoundError = domainErrorClass('NotFoundError', 404, 'RESOURCE.NOT_FOUND', 'Not Found');
export type NotFoundError = InstanceType<typeof NotFoundError>;
/** 409: the request conflicts with the current state. */
export const ConflictError = domainErrorClass('ConflictError', 409, 'RESOURCE.CONFLICT', 'Conflict');
export type ConflictError = InstanceType<typeof ConflictError>;
/** 412: a precondition such as an ETag or an idempotency body check failed. */
export const PreconditionFailedError = domainErrorClass(
  'PreconditionFailedError',
  412,
  'REQUEST.PRECONDITION_FAILED',
  'Precondition Failed',
);
export type PreconditionFailedError = InstanceType<typeof PreconditionFailedError>;
/** 422: well-formed but semantically unprocessable. */
export const UnprocessableEntityError = domainErrorClass(
  'UnprocessableEntityError',
  422,
  'REQUEST.UNPROCESSABLE',
  'Unprocessable Content',
);
export type UnprocessableEntityError = InstanceType<typeof UnprocessableEntityError>;
/** 429: rate limited; pass `headers: { 'Retry-After': '30' }`. */
export const TooManyRequestsError = domainErrorClass(
  'TooManyRequestsError',
  429,
  'REQUEST.RATE_LIMITED',
  'Too Many Requests',
);
export type TooManyRequestsError = InstanceType<typeof TooManyRequestsError>;
/** 503: a dependency (upstream service, breaker open) is unavailable. */
export const ServiceUnavailableError = domainErrorClass(
  'ServiceUnavailableError',
  503,
  'SERVICE.UNAVAILABLE',
  'Service Unavailable',
);
export type ServiceUnavailableError = InstanceType<typeof ServiceUnavailableError>;
