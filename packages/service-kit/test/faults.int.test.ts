import { stopAllServiceProcesses } from '@shop/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { adapters, byMessage, startFixture } from './helpers/fixture-process.js';
import { httpRequest } from './helpers/http-client.js';

afterEach(async () => {
  await stopAllServiceProcesses();
});

const telemetryEntry = './src/telemetry/register.ts';

const faults = [
  {
    what: 'a throw in a timer',
    path: '/fault/timer',
    kind: 'uncaughtException',
    message: 'uncaught exception: shutting down gracefully, exit code 1',
    error: 'deliberate fault in a timer',
  },
  {
    what: 'an unhandled promise rejection',
    path: '/fault/rejection',
    kind: 'unhandledRejection',
    message: 'unhandled promise rejection: shutting down gracefully, exit code 1',
    error: 'deliberate unhandled rejection',
  },
] as const;

describe.each(adapters)('process faults (%s adapter, real process)', (adapter) => {
  it.each(faults)(
    'logs $what with the trace id, drains in-flight requests and exits 1',
    {
      timeout: 60_000,
    },
    async (fault) => {
      const app = await startFixture(
        adapter,
        {
          // The SDK runs (context propagation) but exports nowhere.
          OTEL_SDK_DISABLED: 'false',
          OTEL_TRACES_EXPORTER: 'none',
          FIXTURE_SLOW_MS: '600',
          SHUTDOWN_DELAY_MS: '300',
          SHUTDOWN_TIMEOUT_MS: '5000',
        },
        { imports: [telemetryEntry], startTimeoutMs: 45_000 },
      );
      const inFlight = httpRequest(`${app.url}/slow`);
      await app.waitForLog(byMessage('slow request started'));

      // The fault happens in a timer the request scheduled, so it belongs to the request's trace.
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const scheduled = await httpRequest(`${app.url}${fault.path}`, {
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      });
      expect(scheduled.status).toBe(200);

      const logged = await app.waitForLog(byMessage(fault.message));
      expect(logged).toMatchObject({ level: 'fatal', fault: fault.kind, trace_id: traceId });
      expect((logged.err as { message?: string }).message).toBe(fault.error);
      expect((logged.err as { stack?: string }).stack).toContain(fault.error);

      // The graceful path, not a crash: readiness 503 during the drain delay, liveness 200.
      const [readyz, healthz] = await Promise.all([
        httpRequest(`${app.url}/readyz`),
        httpRequest(`${app.url}/healthz`),
      ]);
      expect(readyz.status).toBe(503);
      expect(readyz.json()).toMatchObject({ status: 'draining' });
      expect(healthz.status).toBe(200);

      const finished = await inFlight;
      expect(finished.status).toBe(200);
      expect(finished.json()).toEqual({ done: true });

      expect(await app.waitForExit()).toEqual({ code: 1, signal: null });
      expect(app.logLines().find(byMessage('shutdown started: readiness is now 503'))?.reason).toBe(
        fault.kind,
      );
      expect(app.logLines().find(byMessage('shutdown complete'))).toMatchObject({
        failed: false,
        exitCode: 1,
      });
      // Node's own crash report (a bare stack on stderr) never appeared: only the kit's JSON lines.
      const lines = app
        .output()
        .split('\n')
        .filter((line) => line.trim() !== '');
      expect(lines.filter((line) => !line.startsWith('{'))).toEqual([]);
    },
  );
});
