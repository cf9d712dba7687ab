// One log line per request on both adapters, with the same fields; probes stay out of the log.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import Fastify, { LogController } from 'fastify';
import { describe, expect, it } from 'vitest';
import { mountErrorHandlers, mountServiceKit } from '../src/express/index.js';
import { RequestLogController, serviceKitPlugin } from '../src/fastify/index.js';
import { createLogger, createServiceKit, type Logger } from '../src/index.js';
import { httpRequest } from './helpers/http-client.js';

function capturingKit() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ name: 'request-log-test', destination });
  const kit = createServiceKit({
    name: 'request-log-test',
    logger,
    exit: () => {},
    flushTelemetryOnShutdown: false,
  });
  const lines = () =>
    chunks
      .join('')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const requestLines = () =>
    lines().filter((l) => l.req !== undefined || l.res !== undefined || l.responseTime !== undefined);
  return { kit, logger, lines, requestLines };
}

const secretHeaders = {
  authorization: 'Bearer eyJ.secret-bearer',
  cookie: 'sid=secret-cookie',
  'x-internal-token': 'secret-internal',
  'x-request-id': 'rid-123',
};

function expectOneLinePerRequest(
  lines: Record<string, unknown>[],
  expected: { route?: string; statusCode: number; url: string }[],
) {
  expect(lines.map((l) => l.msg)).toEqual(expected.map(() => 'request completed'));
  lines.forEach((line, i) => {
    const e = expected[i]!;
    expect(line).toMatchObject({
      level: 'info',
      req: { method: 'GET', url: e.url },
      res: { statusCode: e.statusCode },
    });
    expect(typeof line.reqId).toBe('string');
    expect(typeof line.responseTime).toBe('number');
    if (e.route) expect(line.route).toBe(e.route);
    else expect(line).not.toHaveProperty('route');
  });
  const text = JSON.stringify(lines);
  for (const secret of ['secret-bearer', 'secret-cookie', 'secret-internal', 'q=hidden']) {
    expect(text).not.toContain(secret);
  }
}

describe('request log, fastify adapter', () => {
  it('logs one `request completed` line per request (no `incoming request`), not the probes', async () => {
    const { kit, requestLines, lines } = capturingKit();
    const app = Fastify({ loggerInstance: kit.logger as Logger });
    await app.register(serviceKitPlugin, { kit });
    app.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
    await app.ready();
    for (const url of ['/items/7?q=hidden', '/nowhere', '/healthz', '/readyz']) {
      await app.inject({ method: 'GET', url, headers: secretHeaders });
    }
    await app.close();
    expect(lines().some((l) => l.msg === 'incoming request')).toBe(false);
    expectOneLinePerRequest(requestLines(), [
      { route: '/items/:id', statusCode: 200, url: '/items/7' },
      { statusCode: 404, url: '/nowhere' },
    ]);
  });

  it('leaves a log controller the service passed itself alone', async () => {
    const { kit, lines } = capturingKit();
    class Quiet extends LogController {
      override requestCompleted(): void {}
    }
    const app = Fastify({ loggerInstance: kit.logger as Logger, logController: new Quiet() });
    await app.register(serviceKitPlugin, { kit });
    app.get('/x', async () => ({}));
    await app.inject({ method: 'GET', url: '/x' });
    await app.close();
    expect(lines().map((l) => l.msg)).toEqual(['incoming request']);
  });

  it('works when passed as the logController option', async () => {
    const { kit, requestLines } = capturingKit();
    const app = Fastify({ loggerInstance: kit.logger as Logger, logController: new RequestLogController() });
    app.get('/x', async () => ({}));
    await app.inject({ method: 'GET', url: '/x', headers: secretHeaders });
    await app.close();
    expectOneLinePerRequest(requestLines(), [{ route: '/x', statusCode: 200, url: '/x' }]);
  });
});

describe('request log, express adapter', () => {
  it('logs one `request completed` line per request with the same fields, not the probes', async () => {
    const { kit, requestLines } = capturingKit();
    const app = express();
    mountServiceKit(app, kit);
    app.get('/items/:id', (req, res) => {
      res.json(req.params);
    });
    mountErrorHandlers(app, kit);
    const server = await kit.listen(http.createServer(app), 0, '127.0.0.1');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const path of ['/items/7?q=hidden', '/nowhere', '/healthz', '/readyz']) {
      await httpRequest(`${url}${path}`, { headers: secretHeaders });
    }
    await kit.shutdown('test');
    const logged = requestLines();
    expectOneLinePerRequest(logged, [
      { route: '/items/:id', statusCode: 200, url: '/items/7' },
      { statusCode: 404, url: '/nowhere' },
    ]);
    // express takes the request id from X-Request-Id.
    expect(logged[0]!.reqId).toBe('rid-123');
  });
});
