import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { drainingReply, errorReply, type HttpReply, notFoundReply, pathOf } from '../core/http-replies.js';
import { probeHandlers } from '../core/probes.js';
import { discardRequestBody } from '../core/request-body.js';
import type { ServiceKit } from '../core/service-kit.js';
import { DomainError } from '../errors/domain-errors.js';
import { KitErrorCodes } from '../errors/problem-details.js';
import { setTraceRoute } from '../telemetry/route.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Per-request child logger (`reqId` bound), like fastify's `request.log`. */
    log: Logger;
  }
}

export interface MountServiceKitOptions {
  /** Max JSON body size (express/body-parser syntax); default `1mb` like fastify. */
  bodyLimit?: string | number;
  /** Content types accepted for request bodies; others get 415. */
  acceptedContentTypes?: string[];
}

function send(res: Response, out: HttpReply): void {
  res.status(out.status).set(out.headers).send(out.body);
}

/** Answers early without losing the client: the unread rest of the body is drained first (bounded). */
async function sendAfterBody(req: Request, res: Response, out: HttpReply): Promise<void> {
  const drained = await discardRequestBody(req);
  if (res.headersSent) return;
  if (!drained) res.set('Connection', 'close');
  send(res, out);
}

// req.baseUrl holds the matched text, not the mount pattern; if a router is mounted on a
// parameterised path, id-like segments are folded so the label cannot grow with traffic.
const idSegment = /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,})$/i;

/** `baseUrl + route.path` of the matched route, or undefined when nothing matched. */
export function expressRouteTemplate(req: Request): string | undefined {
  const route = req.route as { path?: unknown } | undefined;
  if (!route) return undefined;
  const path = typeof route.path === 'string' ? route.path : String(route.path);
  const base = req.baseUrl
    .split('/')
    .map((segment) => (idSegment.test(segment) ? ':param' : segment))
    .join('/');
  return `${base}${path === '/' && base ? '' : path}`;
}

/** `Content-Length: 0` and no chunked transfer: the request carries no body at all. */
function declaresEmptyBody(req: Request): boolean {
  return req.headers['content-length'] === '0' && req.headers['transfer-encoding'] === undefined;
}

/**
 * The express adapter, part 1 (before the routes): request logger and metrics, /healthz /readyz
 * /metrics, 415 for non-JSON bodies and the JSON body parser with a size limit.
 */
export function mountServiceKit(app: Express, kit: ServiceKit, options: MountServiceKitOptions = {}): void {
  const accepted = options.acceptedContentTypes ?? ['application/json', 'application/*+json'];
  app.disable('x-powered-by');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const header = req.headers['x-request-id'];
    const reqId = typeof header === 'string' && header.length <= 128 ? header : randomUUID();
    req.log = kit.logger.child({ reqId });
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = expressRouteTemplate(req);
      if (route !== undefined) setTraceRoute(route);
      kit.httpMetrics.observe(req.method, route, res.statusCode, seconds);
      if (route === undefined || !probeHandlers[route]) {
        // The same fields as the fastify adapter's line (`RequestLogLine`).
        const line: Record<string, unknown> = {
          req: { method: req.method, url: pathOf(req.originalUrl) },
          res: { statusCode: res.statusCode },
          responseTime: seconds * 1000,
        };
        if (route !== undefined) line.route = route;
        req.log.info(line, 'request completed');
      }
    });
    next();
  });

  for (const [path, handler] of Object.entries(probeHandlers)) {
    app.get(path, async (_req: Request, res: Response) => {
      const out = await handler(kit);
      res.status(out.status).type(out.contentType).send(out.body);
    });
  }

  // Before any body parsing or routing: an instance that is stopping does no new work.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const draining = drainingReply(kit, req.originalUrl);
    if (draining) {
      void sendAfterBody(req, res, draining);
      return;
    }
    next();
  });

  app.use((req: Request, _res: Response, next: NextFunction) => {
    // req.is() is null without a body and false when a body has another type. A declared-empty
    // body counts as none: fetch(url, { method: 'POST' }) sends `Content-Length: 0` without a
    // Content-Type, and there is nothing to parse (type-is would call it a body of no type → 415).
    if (!declaresEmptyBody(req) && req.is(accepted) === false) {
      next(
        new DomainError({
          status: 415,
          code: KitErrorCodes.unsupportedMediaType,
          title: 'Unsupported Media Type',
          detail: `Content-Type must be one of ${accepted.join(', ')}`,
        }),
      );
      return;
    }
    next();
  });
  app.use(express.json({ limit: options.bodyLimit ?? '1mb', type: accepted }));
}

/** The express adapter, part 2 (after the routes): problem+json 404 and error handler. */
export function mountErrorHandlers(app: Express, kit: ServiceKit): void {
  app.use((req: Request, res: Response) =>
    sendAfterBody(req, res, notFoundReply(req.method, req.originalUrl)),
  );
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    // A 415 is decided before the body is read: drain it so the uploading client sees the answer.
    return sendAfterBody(
      req,
      res,
      errorReply(err, { logger: req.log ?? kit.logger, method: req.method, url: req.originalUrl }),
    );
  });
}
