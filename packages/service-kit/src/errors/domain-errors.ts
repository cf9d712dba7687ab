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

/** What the fixed-status subclasses take: a detail string, or the options without `status`. */
type SubclassArgument = SubclassOptions | string;

/** Fills a subclass's fixed status and its default code/title into the caller's options. */
function fixed(argument: SubclassArgument, status: number, code: string, title: string): DomainErrorOptions {
  const options = typeof argument === 'string' ? { detail: argument } : argument;
  return { ...options, status, code: options.code ?? code, title: options.title ?? title };
}

/** 400 with field pointers. */
export class ValidationError extends DomainError {
  constructor(options: SubclassArgument = {}) {
    super(fixed(options, 400, 'REQUEST.VALIDATION_FAILED', 'Request validation failed'));
  }
}

/** 401: missing or invalid credentials. */
export class UnauthorizedError extends DomainError {
  constructor(options: SubclassArgument = {}) {
    super(fixed(options, 401, 'AUTH.UNAUTHORIZED', 'Unauthorized'));
  }
}

/** 403: authenticated but not allowed. */
export class ForbiddenError extends DomainError {
  constructor(options: SubclassArgument = {}) {
    super(fixed(options, 403, 'AUTH.FORBIDDEN', 'Forbidden'));
  }
}

/** 404: the resource does not exist (or is not visible to the caller). */
export class NotFoundError extends DomainError {
  constructor(options: SubclassArgument = {}) {
    super(fixed(options, 404, 'RESOURCE.NOT_FOUND', 'Not Found'));
  }
}

/** 409: the request conflicts with the current state. */
export class ConflictError extends DomainError {
  constructor(options: SubclassArgument = {}) {
    super(fixed(options, 409, 'RESOURCE.CONFLICT', 'Conflict'));
  }
}

/** 412: a precondition such as an ETag or an idempotency body check failed. */
export class PreconditionFailedError extends DomainError {
  constructor(options: SubclassArgument = {}) {
    super(fixed(options, 412, 'REQUEST.PRECONDITION_FAILED', 'Precondition Failed'));
  }
}

/** 422: well-formed but semantically unprocessable. */
export class UnprocessableEntityError extends DomainError {
  constructor(options: SubclassArgument = {}) {
    super(fixed(options, 422, 'REQUEST.UNPROCESSABLE', 'Unprocessable Content'));
  }
}

/** 429: rate limited; pass `headers: { 'Retry-After': '30' }`. */
export class TooManyRequestsError extends DomainError {
  constructor(options: SubclassArgument = {}) {
    super(fixed(options, 429, 'REQUEST.RATE_LIMITED', 'Too Many Requests'));
  }
}

/** 503: a dependency (upstream service, breaker open) is unavailable. */
export class ServiceUnavailableError extends DomainError {
  constructor(options: SubclassArgument = {}) {
    super(fixed(options, 503, 'SERVICE.UNAVAILABLE', 'Service Unavailable'));
  }
}
