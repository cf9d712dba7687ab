// RFC 9457 problem+json answers (what every Shop service sends) turned into something a shopper can
// read: one sentence for the page and one message per form field.

/** A problem detail as the services send it (`code` is the stable machine-readable part). */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  instance?: string;
  errors?: Array<{ pointer?: string; detail?: string }>;
}

/** An answer the shop gave with a 4xx/5xx status, or a request that never got an answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemDetails,
    /** Seconds from `Retry-After` (429/503), when the server sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }

  get code(): string | undefined {
    return this.problem.code;
  }

  /** Field name → message, from the problem's JSON pointers (`/body/password` → `password`). */
  get fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const issue of this.problem.errors ?? []) {
      const field = fieldOfPointer(issue.pointer);
      if (field && issue.detail && !(field in out)) out[field] = sentence(issue.detail);
    }
    return out;
  }
}

/** Status 0: the request did not reach the shop (offline, DNS, connection reset, CSP). */
export const NETWORK_ERROR_STATUS = 0;

export function networkError(cause: unknown): ApiError {
  const error = new ApiError(NETWORK_ERROR_STATUS, {
    title: 'Network error',
    detail: cause instanceof Error ? cause.message : String(cause),
  });
  return error;
}

/** `/body/items/0/quantity` → `items.0.quantity`; `/query/cursor` → `cursor`; headers are not fields. */
export function fieldOfPointer(pointer: string | undefined): string | undefined {
  if (!pointer) return undefined;
  const parts = pointer.split('/').slice(1).map(decodePointerToken);
  if (parts[0] === 'headers') return undefined;
  if (parts[0] === 'body' || parts[0] === 'query' || parts[0] === 'params') parts.shift();
  return parts.length > 0 ? parts.join('.') : undefined;
}

const decodePointerToken = (token: string) => token.replaceAll('~1', '/').replaceAll('~0', '~');

/** `Retry-After` as seconds: delta-seconds or an HTTP date (relative to `now`). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Builds the ApiError of a non-2xx response from its status, headers and (maybe empty) body. */
export function errorFromResponse(
  status: number,
  headers: { get(name: string): string | null },
  bodyText: string,
  now = Date.now(),
): ApiError {
  let problem: ProblemDetails = {};
  try {
    const parsed = JSON.parse(bodyText) as unknown;
    if (parsed && typeof parsed === 'object') problem = parsed as ProblemDetails;
  } catch {
    // A proxy's HTML error page: the status alone decides the message.
  }
  return new ApiError(status, { status, ...problem }, parseRetryAfter(headers.get('retry-after'), now));
}

/** "2 minutes", "1 second": how long to wait, for people. */
export function describeWait(seconds: number): string {
  if (seconds >= 90) {
    const minutes = Math.ceil(seconds / 60);
    return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  }
  const s = Math.max(1, Math.ceil(seconds));
  return `${s} second${s === 1 ? '' : 's'}`;
}

const MESSAGES_BY_CODE: Record<string, string> = {
  'AUTH.INVALID_CREDENTIALS': 'The username or password is not right.',
  'AUTH.REFRESH_TOKEN_REUSED': 'Your session ended for safety. Please log in again.',
  'ORDER.OUT_OF_STOCK': 'Some items are no longer in stock in the quantity you asked for.',
  'ORDER.PRODUCT_UNAVAILABLE': 'Some items can no longer be ordered.',
  'ORDER.CURRENCY_MISMATCH': 'Items priced in different currencies cannot be ordered together.',
  'ORDER.NOT_CANCELLABLE': 'This order can no longer be cancelled.',
  'ORDER.NOT_FOUND': 'We could not find that order.',
  'PRODUCT.VERSION_MISMATCH':
    'Someone changed this product meanwhile. Reload it and apply your change again.',
};

/** One readable sentence for the page (field errors are shown next to their fields as well). */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return 'Something went wrong in the page. Please reload and try again.';
  }
  const { status, retryAfterSeconds } = error;
  if (status === NETWORK_ERROR_STATUS)
    return 'We cannot reach the shop right now. Check your connection and try again.';
  if (status === 429) {
    return retryAfterSeconds !== undefined
      ? `Too many attempts. Please wait ${describeWait(retryAfterSeconds)} and try again.`
      : 'Too many attempts. Please wait a moment and try again.';
  }
  if (status === 503 || status === 502 || status === 504) {
    const wait =
      retryAfterSeconds !== undefined
        ? ` Try again in ${describeWait(retryAfterSeconds)}.`
        : ' Try again shortly.';
    return `The shop is busy or briefly unavailable.${wait}`;
  }
  const known = error.code ? MESSAGES_BY_CODE[error.code] : undefined;
  if (known) return known;
  if (status === 401) return 'Please log in to continue.';
  if (status === 403) return 'You do not have access to this page.';
  if (status === 404) return 'We could not find what you were looking for.';
  if (status >= 500) return 'Something went wrong on our side. Please try again.';
  if (status === 400 && Object.keys(error.fieldErrors).length > 0)
    return 'Please correct the highlighted fields.';
  return sentence(error.problem.detail ?? error.problem.title ?? 'The request was not accepted.');
}

/** Whether retrying the same request later may succeed (the UI offers "Try again" for these). */
export function isRetryable(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    (error.status === NETWORK_ERROR_STATUS ||
      error.status === 429 ||
      error.status === 502 ||
      error.status === 503 ||
      error.status === 504)
  );
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  const first = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
