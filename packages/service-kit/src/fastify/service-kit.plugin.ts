import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { drainingReply, errorReply, type HttpReply, notFoundReply } from '../core/http-replies.js';
import { probeHandlers } from '../core/probes.js';
import { discardRequestBody } from '../core/request-body.js';
import type { ServiceKit } from '../core/service-kit.js';
import { setTraceRoute } from '../telemetry/route.js';
import { rejectNonFiniteNumbers } from './finite-numbers.js';
import { installRequestLogController } from './request-log.js';
import { validateResponses } from './response-validation.js';

export interface ServiceKitPluginOptions {
  kit: ServiceKit;
  /**
   * Keep fastify's built-in text/plain body parser. Off by default so non-JSON bodies get 415,
   * as on the express side; routes needing other types register their own parser.
   */
  allowTextPlain?: boolean;
  /**
   * Check every response body against its route's response schema before sending it (an answer
   * that breaks its schema becomes a 500 problem); without it fastify's serializer silently drops
   * unknown fields and coerces types. Register the plugin before the routes.
   */
  validateResponses?: boolean;
}

function send(reply: FastifyReply, out: HttpReply): FastifyReply {
  return reply.code(out.status).headers(out.headers).send(out.body);
}

/** Answers early without losing the client: the unread rest of the body is drained first (bounded). */
async function sendAfterBody(request: FastifyRequest, reply: FastifyReply, out: HttpReply) {
  if (!(await discardRequestBody(request.raw))) reply.header('connection', 'close');
  return send(reply, out);
}

/**
 * Mounts /healthz, /readyz and /metrics, records request metrics by route template, logs one line
 * per request (`RequestLogController`; probes are not logged), answers every
 * error and unknown route with problem+json, rejects non-finite numbers in params/query/body, and
 * ties the instance to the kit's lifecycle (`ready()` before listen, `close()` during shutdown).
 */
async function serviceKit(
  app: FastifyInstance,
  { kit, allowTextPlain, validateResponses: checkResponses }: ServiceKitPluginOptions,
): Promise<void> {
  // One `request completed` line per request instead of fastify's two (`incoming request` + completion).
  installRequestLogController(app);
  if (!allowTextPlain) app.removeContentTypeParser('text/plain');
  if (checkResponses) validateResponses(app);
  // Infinity from `1e400` passes ajv; answered here for every route as 400 instead of a database 500.
  app.addHook('preHandler', rejectNonFiniteNumbers);
  // First hook of every request, before the body is parsed: an instance that is stopping does no new work.
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.is404) setTraceRoute(request.routeOptions.url ?? '');
    const draining = drainingReply(kit, request.url);
    // Answered here: the request goes no further (fastify's early reply from a callback hook).
    if (draining) void sendAfterBody(request, reply, draining);
    else done();
  });
  for (const [path, handler] of Object.entries(probeHandlers)) {
    // Probes are hit every few seconds; keep them out of the request log.
    app.get(path, { logLevel: 'silent' }, async (_request, reply) => {
      const out = await handler(kit);
      return reply.code(out.status).type(out.contentType).send(out.body);
    });
  }

  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404 ? undefined : request.routeOptions.url;
    kit.httpMetrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  // fastify answers a too-large body (413) or a wrong media type (415) before reading the body; the
  // rest is drained so the client, still uploading, reads the answer instead of a broken pipe.
  app.setErrorHandler((error, request, reply) =>
    sendAfterBody(
      request,
      reply,
      errorReply(error, { logger: request.log, method: request.method, url: request.url }),
    ),
  );
  app.setNotFoundHandler((request, reply) =>
    sendAfterBody(request, reply, notFoundReply(request.method, request.url)),
  );

  // The one way to listen is `kit.listen(app.server, port, host)`: it readies the instance first.
  kit.onBeforeListen(() => app.ready());
  kit.onShutdown('fastify', () => app.close());
}

/** The fastify adapter: `await app.register(serviceKitPlugin, { kit })`. */
export const serviceKitPlugin = fp(serviceKit, { name: '@shop/service-kit', fastify: '5.x' });
