import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { mountErrorHandlers, mountServiceKit } from '../src/express/index.js';
import { serviceKitPlugin } from '../src/fastify/index.js';
import { createLogger, createServiceKit } from '../src/index.js';
import { httpRequest, parseMetrics } from './helpers/http-client.js';

function inProcessKit() {
  const exits: number[] = [];
  const kit = createServiceKit({
    name: 'adapter-test',
    logger: createLogger({ name: 'adapter-test', level: 'silent' }),
    exit: (code) => exits.push(code),
    flushTelemetryOnShutdown: false,
  });
  return { kit, exits };
}

async function routeLabels(url: string): Promise<string[]> {
  const samples = parseMetrics((await httpRequest(`${url}/metrics`)).body);
  return samples.filter((s) => s.name === 'http_requests_total').map((s) => s.labels.route!);
}

describe('express adapter', () => {
  it('labels routes of a router mounted on a parameterised path without raw ids', async () => {
    const { kit } = inProcessKit();
    const app = express();
    mountServiceKit(app, kit);
    const orders = express.Router({ mergeParams: true });
    orders.get('/orders/:orderId', (req, res) => {
      res.json(req.params);
    });
    app.use('/users/:userId', orders);
    mountErrorHandlers(app, kit);
    const server = await kit.listen(http.createServer(app), 0, '127.0.0.1');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    for (const userId of [17, 4242, 'a3f1c2d4-5b6e-4f70-8a9b-0c1d2e3f4a5b']) {
      expect((await httpRequest(`${url}/users/${userId}/orders/9`)).status).toBe(200);
    }
    expect(await routeLabels(url)).toEqual(['/users/:param/orders/:orderId']);
    await kit.shutdown('test');
  });
});

describe('fastify adapter', () => {
  it('listens the one way, kit.listen(app.server): ready() first, readiness turns 200 and shutdown drains the server', async () => {
    const { kit, exits } = inProcessKit();
    const app = Fastify({ logger: false });
    await app.register(serviceKitPlugin, { kit });
    app.get('/items/:id', async () => ({ ok: true }));
    // No app.ready() here: the plugin makes the kit call it before listening.
    await kit.listen(app.server, 0, '127.0.0.1');
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    expect((await httpRequest(`${url}/readyz`)).status).toBe(200);
    expect((await httpRequest(`${url}/items/1`)).status).toBe(200);
    await kit.shutdown('test');
    expect(exits).toEqual([0]);
    expect(app.server.listening).toBe(false);
    await expect(httpRequest(`${url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('keeps readiness 503 until the app is listening', async () => {
    const { kit } = inProcessKit();
    const app = Fastify({ logger: false });
    await app.register(serviceKitPlugin, { kit });
    const before = await app.inject({ method: 'GET', url: '/readyz' });
    expect([before.statusCode, before.json().status]).toEqual([503, 'starting']);
    await app.close();
  });
});

describe.each(['fastify', 'express'] as const)('a stopping instance (%s adapter)', (adapter) => {
  it('answers a request that still arrives 503 SERVICE.DRAINING before any work, reads its body first, and keeps probes answering', async () => {
    const { kit, exits } = inProcessKit();
    let worked = 0;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handler: http.RequestListener;
    let tracked: http.Server;
    if (adapter === 'fastify') {
      const app = Fastify({ logger: false, bodyLimit: 2 * 1024 * 1024 });
      await app.register(serviceKitPlugin, { kit });
      app.post('/work', async () => ({ worked: ++worked }));
      app.get('/hold', async () => {
        await held;
        return { held: true };
      });
      await app.ready();
      tracked = app.server;
      handler = (req, res) => app.routing(req, res);
    } else {
      const app = express();
      mountServiceKit(app, kit, { bodyLimit: '2mb' });
      app.post('/work', (_req, res) => {
        res.json({ worked: ++worked });
      });
      app.get('/hold', async (_req, res) => {
        await held;
        res.json({ held: true });
      });
      mountErrorHandlers(app, kit);
      tracked = http.createServer(app);
      handler = app;
    }
    await kit.listen(tracked, 0, '127.0.0.1');
    const url = `http://127.0.0.1:${(tracked.address() as AddressInfo).port}`;
    // A second, untracked listener stands for a connection the drain has not closed yet.
    const side = http.createServer(handler);
    await new Promise<void>((resolve) => side.listen(0, '127.0.0.1', resolve));
    const sideUrl = `http://127.0.0.1:${(side.address() as AddressInfo).port}`;

    const inFlight = httpRequest(`${url}/hold`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const shutdown = kit.shutdown('test');
    expect(kit.isStopping()).toBe(true);

    const response = await fetch(`${sideUrl}/work`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ blob: 'x'.repeat(1024 * 1024) }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toMatchObject({ status: 503, code: 'SERVICE.DRAINING', instance: '/work' });
    expect(worked).toBe(0);
    expect((await fetch(`${sideUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${sideUrl}/readyz`)).status).toBe(503);

    release();
    expect((await inFlight).json()).toEqual({ held: true });
    await shutdown;
    expect(exits).toEqual([0]);
    await new Promise((resolve) => side.close(resolve));
  });
});

describe('liveness before the framework (kit.listen)', () => {
  it('answers GET and HEAD /healthz itself (not counted, as probes never are) and passes everything else on', async () => {
    const { kit } = inProcessKit();
    const seen: string[] = [];
    // A "framework" that answers everything 418: any 200 on /healthz comes from the kit.
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(418).end();
    });
    await kit.listen(server, 0, '127.0.0.1');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const live = await httpRequest(`${url}/healthz`);
    expect(live.status).toBe(200);
    expect(live.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(live.body)).toEqual({ status: 'ok', uptimeSeconds: expect.any(Number) });
    const head = await httpRequest(`${url}/healthz`, { method: 'HEAD' });
    expect([head.status, head.body]).toEqual([200, '']);
    expect(seen).toEqual([]);

    for (const [method, path] of [
      ['GET', '/healthz?verbose=1'],
      ['POST', '/healthz'],
      ['GET', '/healthz/'],
      ['GET', '/items/1'],
    ] as const) {
      expect((await httpRequest(`${url}${path}`, { method })).status).toBe(418);
    }
    expect(seen).toEqual(['GET /healthz?verbose=1', 'POST /healthz', 'GET /healthz/', 'GET /items/1']);

    const counted = parseMetrics(await kit.registry.metrics()).filter(
      (s) => s.name === 'http_requests_total',
    );
    expect(counted).toEqual([]);
    await kit.shutdown('test');
  });
});
