import { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { pathOf } from '../core/http-replies.js';

/**
 * The fields of the one line logged per request, the same on fastify and express: `req.method`,
 * `req.url` (path only: a query string may carry anything), `route` (the template, absent for an
 * unknown path), `res.statusCode` and `responseTime` (ms). The request id (`reqId`) is bound on the
 * request's logger, the trace ids (`trace_id`, `span_id`, `trace_flags`) come from the logger's mixin.
 */
export interface RequestLogLine {
  req: { method: string; url: string };
  route?: string;
  res: { statusCode: number };
  responseTime: number;
}

/** The completion line of a fastify request. */
export function fastifyRequestLine(request: FastifyRequest, reply: FastifyReply): RequestLogLine {
  const line: RequestLogLine = {
    req: { method: request.method, url: pathOf(request.url) },
    res: { statusCode: reply.statusCode },
    responseTime: reply.elapsedTime,
  };
  if (!request.is404) line.route = request.routeOptions.url;
  return line;
}

/**
 * fastify's request logging cut to one line per request: no `incoming request` line, and one
 * `request completed` (or `request errored`, at error level) line when the response is finished,
 * with the fields of `RequestLogLine`. Everything else fastify logs (stream errors, serializer
 * failures, …) and `disableRequestLogging` / a route's `logLevel` work as before.
 *
 * Pass it as `Fastify({ loggerInstance, logController: new RequestLogController() })`; the kit's
 * plugin installs it on an instance still using fastify's default controller.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    const line = fastifyRequestLine(request, reply);
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

/**
 * Replaces fastify's default request log controller of `app` (and every instance that inherits
 * it) with a `RequestLogController` keeping its settings. fastify reads the controller from its
 * instance on every request and offers no setter after construction, hence the lookup by the
 * symbol's description. Returns false and changes nothing when the instance has a controller of its
 * own (passed as `logController`) or a fastify version keeps it elsewhere.
 */
export function installRequestLogController(app: FastifyInstance): boolean {
  let owner: object | null = app;
  let key: symbol | undefined;
  while (owner && !key) {
    key = Object.getOwnPropertySymbols(owner).find((s) => s.description === 'fastify.logController');
    if (!key) owner = Object.getPrototypeOf(owner) as object | null;
  }
  if (!owner || !key) return false;
  const slots = owner as Record<symbol, unknown>;
  const current = slots[key];
  if (!(current instanceof LogController) || current.constructor !== LogController) return false;
  slots[key] = new RequestLogController({
    disableRequestLogging: current.disableRequestLogging,
    requestIdLogLabel: current.requestIdLogLabel,
  });
  return true;
}
