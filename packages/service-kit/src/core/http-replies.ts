import type { Logger } from 'pino';
import {
  drainingProblem,
  PROBLEM_CONTENT_TYPE,
  type ProblemResponse,
  problemFromError,
  routeNotFoundProblem,
} from '../errors/problem-details.js';
import { KIT_PATHS } from './metrics.js';
import type { ServiceKit } from './service-kit.js';

/** A fully rendered answer both adapters write out as is. */
export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The path without the query string: query strings may carry tokens and must not be echoed. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function render(problem: ProblemResponse): HttpReply {
  return {
    status: problem.status,
    headers: { ...problem.headers, 'content-type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8` },
    body: JSON.stringify(problem.body),
  };
}

/**
 * Turns anything a handler threw into a problem+json reply and logs it once: unexpected errors at
 * error level with the stack (server side only), client errors at info with their code.
 */
export function errorReply(
  err: unknown,
  request: { logger: Pick<Logger, 'error' | 'info'>; method: string; url: string },
): HttpReply {
  const problem = problemFromError(err, { instance: pathOf(request.url) });
  if (problem.unexpected)
    request.logger.error({ err, status: problem.status }, 'request failed with an unexpected error');
  else if (problem.dependency) {
    // Expected during an outage (the pool/client logs the outage itself): no stack, one line per request.
    const message = (err as { message?: unknown })?.message;
    request.logger.info(
      {
        code: problem.body.code,
        status: problem.status,
        ...problem.dependency,
        error: typeof message === 'string' && message ? message : String(err),
      },
      'request rejected: dependency unavailable',
    );
  } else request.logger.info({ code: problem.body.code, status: problem.status }, 'request rejected');
  return render(problem);
}

/**
 * While the kit is stopping (servers closed, in-flight requests finishing), a request that still
 * arrives on an open connection is answered 503 `SERVICE.DRAINING` (+ `Connection: close`) before
 * any work, so a gateway can retry it on another instance. Probes keep answering.
 */
export function drainingReply(kit: Pick<ServiceKit, 'isStopping'>, url: string): HttpReply | undefined {
  if (!kit.isStopping()) return undefined;
  const path = pathOf(url);
  if (KIT_PATHS.has(path)) return undefined;
  return render(drainingProblem(path));
}

/** The reply for a request no route matched. */
export function notFoundReply(method: string, url: string): HttpReply {
  return render(routeNotFoundProblem(method, pathOf(url)));
}
