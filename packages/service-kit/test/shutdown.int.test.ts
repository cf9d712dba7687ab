import http from 'node:http';
import { type ServiceProcess, stopAllServiceProcesses } from '@shop/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { adapters, byMessage, startFixture } from './helpers/fixture-process.js';
import { httpRequest, type SimpleResponse } from './helpers/http-client.js';

afterEach(async () => {
  await stopAllServiceProcesses();
});

describe.each(adapters)('graceful shutdown (%s adapter, real process)', (adapter) => {
  it('answers all 10 in-flight requests, flips readiness at the signal, keeps liveness 200 and exits 0', async () => {
    const app = await startFixture(adapter, {
      FIXTURE_SLOW_MS: '350',
      SHUTDOWN_DELAY_MS: '200',
      SHUTDOWN_TIMEOUT_MS: '5000',
    });
    const ready = await httpRequest(`${app.url}/readyz`);
    expect(ready.status).toBe(200);

    // 11 keep-alive sockets: 10 will be busy with slow requests, 1 stays idle through the signal.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 11 });
    const socketErrors: string[] = [];
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = ((...args: Parameters<typeof createConnection>) => {
      const socket = createConnection(...args);
      socket?.on('error', (err: NodeJS.ErrnoException) => socketErrors.push(err.code ?? err.message));
      return socket;
    }) as typeof agent.createConnection;
    await Promise.all(Array.from({ length: 11 }, (_, i) => httpRequest(`${app.url}/items/${i}`, { agent })));

    const inFlight = Array.from({ length: 10 }, () => httpRequest(`${app.url}/slow`, { agent }));
    await app.waitForLogCount(byMessage('slow request started'), 10);
    app.signal('SIGTERM');
    await app.waitForLog(byMessage('shutdown started: readiness is now 503'));

    // Inside the drain delay: new connections are still accepted; readiness says no, liveness says yes,
    // and every answer tells a keep-alive client to reconnect (elsewhere, once readiness took effect).
    const probeAgent = new http.Agent({ keepAlive: true });
    const [readyz, healthz] = await Promise.all([
      httpRequest(`${app.url}/readyz`, { agent: probeAgent }),
      httpRequest(`${app.url}/healthz`, { agent: probeAgent }),
    ]);
    expect(readyz.status).toBe(503);
    expect(readyz.json()).toMatchObject({ status: 'draining' });
    expect(healthz.status).toBe(200);
    expect([readyz.headers.connection, healthz.headers.connection]).toEqual(['close', 'close']);
    probeAgent.destroy();

    const responses: SimpleResponse[] = await Promise.all(inFlight);
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(responses.every((r) => r.json().done === true)).toBe(true);
    // The busy keep-alive sockets were told to close, so the client never reuses a dying socket.
    expect(responses.every((r) => r.headers.connection === 'close')).toBe(true);

    const exit = await app.waitForExit();
    expect(exit).toEqual({ code: 0, signal: null });
    // Neither the idle socket (closed by the server) nor the busy ones (Connection: close) were reset.
    expect(socketErrors).toEqual([]);
    expect(Object.keys(agent.freeSockets)).toEqual([]);
    expect(app.logLines().some(byMessage('shutdown complete'))).toBe(true);
    agent.destroy();
  });

  it('exits 1 at the hard deadline when a request never finishes, naming what was still open', async () => {
    const app = await startFixture(adapter, { SHUTDOWN_TIMEOUT_MS: '300' });
    const hanging = httpRequest(`${app.url}/hang`).catch((err: Error) => err);
    await app.waitForLog(byMessage('hanging request started'));
    app.signal('SIGTERM');

    const exit = await app.waitForExit();
    expect(exit.code).toBe(1);
    const deadline = await app.waitForLog(byMessage('shutdown deadline exceeded, exiting with code 1'));
    expect(deadline.step).toBe('draining connections');
    expect(JSON.stringify(deadline.servers)).toContain('GET /hang');
    expect(await hanging).toBeInstanceOf(Error);
  });

  it('exits 1 at once on a second SIGTERM during the drain', async () => {
    const app = await startFixture(adapter, { SHUTDOWN_TIMEOUT_MS: '20000' });
    void httpRequest(`${app.url}/hang`).catch(() => undefined);
    await app.waitForLog(byMessage('hanging request started'));
    app.signal('SIGTERM');
    await app.waitForLog(byMessage('shutdown started: readiness is now 503'));
    app.signal('SIGTERM');

    // Far below the 20 s deadline: only the second signal can have ended the process.
    const exit = await app.waitForExit(5000);
    expect(exit.code).toBe(1);
    expect(app.logLines().some(byMessage('second signal during shutdown, exiting with code 1'))).toBe(true);
    expect(app.logLines().some(byMessage('shutdown deadline exceeded, exiting with code 1'))).toBe(false);
  });

  it('treats SIGINT like SIGTERM and exits 0 when idle', async () => {
    const app: ServiceProcess = await startFixture(adapter);
    app.signal('SIGINT');
    expect(await app.waitForExit()).toEqual({ code: 0, signal: null });
    expect((await app.waitForLog(byMessage('shutdown started: readiness is now 503'))).reason).toBe('SIGINT');
  });
});
