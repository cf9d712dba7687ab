// The one way pages talk to the shop: JSON over the public /api/v1 routes, the access token attached,
// a 401 answered by one refresh and one retry, and brief outages (503 with Retry-After) retried a few
// times for requests that are safe to repeat. Everything else surfaces as an ApiError.
import { ApiError, errorFromResponse, networkError } from './problem.js';

export interface TokenSource {
  getAccessToken(): Promise<string | undefined>;
  /** After a 401: rotate once; false when the session is gone. */
  refresh(): Promise<boolean>;
}

export interface ApiClientDeps {
  fetch: typeof fetch;
  session: TokenSource;
  sleep: (ms: number) => Promise<void>;
  now?: () => number;
  apiBase?: string;
  /**
   * Retries of a 502/503/504 or a network error for repeatable requests (default 1): a blip passes
   * unseen, a real outage reaches the page quickly with its Retry-After and a "Try again" button.
   */
  outageRetries?: number;
  /** Longest automatic wait before a retry, whatever Retry-After says (default 2 s). */
  maxRetryWaitMs?: number;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** `required`: no session → 401 without a request; `optional`: a token when there is one. */
  auth?: 'required' | 'optional' | 'none';
  /** Safe to send again after an outage (GET, or a POST carrying an Idempotency-Key). Default: GET only. */
  repeatable?: boolean;
  signal?: AbortSignal;
}

export interface ApiAnswer<T> {
  status: number;
  data: T;
  headers: Headers;
}

const OUTAGE = new Set([0, 502, 503, 504]);
const IN_PROGRESS = 'ORDER.IDEMPOTENT_REQUEST_IN_PROGRESS';
/** An in-progress idempotent request is awaited at most this many times (1 s each by Retry-After). */
const IN_PROGRESS_POLLS = 30;

export class ApiClient {
  constructor(private readonly deps: ApiClientDeps) {}

  get<T>(path: string, options: RequestOptions = {}): Promise<ApiAnswer<T>> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<ApiAnswer<T>> {
    return this.request<T>('POST', path, { ...options, body });
  }

  patch<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<ApiAnswer<T>> {
    return this.request<T>('PATCH', path, { ...options, body });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiAnswer<T>> {
    const auth = options.auth ?? 'none';
    const repeatable = options.repeatable ?? method === 'GET';
    const outageRetries = this.deps.outageRetries ?? 1;
    let refreshed = false;
    let outages = 0;
    let polls = 0;
    for (;;) {
      const token = auth === 'none' ? undefined : await this.deps.session.getAccessToken();
      if (auth === 'required' && !token) {
        throw new ApiError(401, { status: 401, code: 'AUTH.UNAUTHORIZED', detail: 'Please log in' });
      }
      let res: Response;
      try {
        res = await this.deps.fetch(`${this.deps.apiBase ?? ''}${path}`, {
          method,
          credentials: 'same-origin',
          headers: {
            accept: 'application/json',
            ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...options.headers,
          },
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (repeatable && outages < outageRetries) {
          outages++;
          await this.deps.sleep(this.backoffMs(outages));
          continue;
        }
        throw networkError(error);
      }
      const text = await res.text();
      if (res.ok) {
        return { status: res.status, data: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
      }
      const error = errorFromResponse(res.status, res.headers, text, this.deps.now?.() ?? Date.now());
      if (res.status === 401 && token && !refreshed) {
        refreshed = true;
        if (await this.deps.session.refresh()) continue;
      }
      if (res.status === 409 && error.code === IN_PROGRESS && polls < IN_PROGRESS_POLLS) {
        // The same Idempotency-Key is still being worked on (a double submit): wait for its answer.
        polls++;
        await this.deps.sleep(this.waitMs(error.retryAfterSeconds, 1));
        continue;
      }
      if (OUTAGE.has(res.status) && repeatable && outages < outageRetries) {
        outages++;
        await this.deps.sleep(this.waitMs(error.retryAfterSeconds, outages));
        continue;
      }
      throw error;
    }
  }

  private backoffMs(attempt: number): number {
    return Math.min(this.deps.maxRetryWaitMs ?? 2_000, 500 * 2 ** (attempt - 1));
  }

  private waitMs(retryAfterSeconds: number | undefined, attempt: number): number {
    if (retryAfterSeconds === undefined) return this.backoffMs(attempt);
    return Math.min(this.deps.maxRetryWaitMs ?? 2_000, retryAfterSeconds * 1000);
  }
}
