import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createLogger } from '../logger/logger.js';
import { flushTelemetry } from '../telemetry/telemetry.js';
import {
  createHttpMetrics,
  createMetricsFactory,
  createRegistry,
  type HttpMetrics,
  type MetricsFactory,
} from './metrics.js';
import {
  Readiness,
  type ReadinessCheck,
  type ReadinessCheckOptions,
  type ReadinessReport,
} from './readiness.js';
import { ServerDrain } from './server-drain.js';

/** Timer functions the shutdown sequence uses; tests inject fakes or small delays. */
export interface KitClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ServiceKitOptions {
  name: string;
  version?: string;
  logger?: Logger;
  shutdown?: {
    /** Wait after readiness flips to 503 so load balancers stop routing (SHUTDOWN_DELAY_MS). */
    delayMs?: number;
    /** Hard deadline for the whole sequence; exit 1 when it fires (SHUTDOWN_TIMEOUT_MS). */
    timeoutMs?: number;
  };
  exit?: (code: number) => void;
  sleep?: (ms: number) => Promise<void>;
  clock?: KitClock;
  /** Where SIGTERM/SIGINT are received; defaults to `process`. */
  signalSource?: NodeJS.EventEmitter;
  /** Register the OpenTelemetry flush as the last shutdown step (default true). */
  flushTelemetryOnShutdown?: boolean;
  /** Longest wait for the telemetry flush; past it the spans are dropped, the exit stays clean (default 3000). */
  telemetryFlushTimeoutMs?: number;
}

export type Lifecycle = 'starting' | 'running' | 'draining';

/** The framework-free lifecycle object each service creates once in `main.ts`. */
export interface ServiceKit {
  readonly name: string;
  readonly version: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly metrics: MetricsFactory;
  readonly httpMetrics: HttpMetrics;
  readonly readiness: {
    addCheck(name: string, check: ReadinessCheck, options?: ReadinessCheckOptions): void;
    removeCheck(name: string): void;
    /** Runs the checks and folds in the lifecycle (starting/draining → not ready). */
    report(): Promise<ReadinessReport>;
  };
  /** Cleanup step run during shutdown; steps run in reverse registration order. */
  onShutdown(name: string, hook: () => Promise<unknown> | unknown): void;
  /** Work that must finish before the server accepts traffic (the fastify adapter awaits `ready()`). */
  onBeforeListen(hook: () => Promise<unknown> | unknown): void;
  /** Readiness stays 503 until this is called; `listen` calls it. */
  markStarted(): void;
  lifecycle(): Lifecycle;
  isDraining(): boolean;
  /** Runs the shutdown sequence once; later calls return the same promise. */
  shutdown(reason: string): Promise<void>;
  /** SIGTERM/SIGINT start the shutdown; a second signal exits 1 at once. Returns an uninstaller. */
  installSignalHandlers(): () => void;
  /** Tracks `server` for draining without listening (when something else listens). */
  trackServer(server: Server): void;
  /** Runs before-listen hooks, listens, tracks the server for draining, marks the kit started. */
  listen<S extends Server>(server: S, port: number, host?: string): Promise<S>;
}

const realClock: KitClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Creates the per-instance lifecycle: registry, readiness, shutdown sequence and signal handling. */
export function createServiceKit(options: ServiceKitOptions): ServiceKit {
  const clock = options.clock ?? realClock;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const delayMs = options.shutdown?.delayMs ?? 0;
  const timeoutMs = options.shutdown?.timeoutMs ?? 15_000;
  const logger = options.logger ?? createLogger({ name: options.name });
  const registry = createRegistry(options.name);
  const metrics = createMetricsFactory(registry);
  const httpMetrics = createHttpMetrics(metrics);
  const readiness = new Readiness(() => clock.now());
  const hooks: { name: string; hook: () => Promise<unknown> | unknown }[] = [];
  const beforeListen: (() => Promise<unknown> | unknown)[] = [];
  const drains: ServerDrain[] = [];
  let state: Lifecycle = 'starting';
  let shutdownPromise: Promise<void> | undefined;
  let currentStep = 'not started';
  let exited = false;

  const exitOnce = (code: number) => {
    if (exited) return;
    exited = true;
    exit(code);
  };

  // Best effort and bounded: an unreachable trace collector makes the OTLP exporter retry for its whole
  // timeout (10 s by default), which must neither hit the hard deadline nor turn a clean drain into exit 1.
  if (options.flushTelemetryOnShutdown !== false) {
    const flushTimeoutMs = options.telemetryFlushTimeoutMs ?? 3000;
    hooks.push({
      name: 'telemetry',
      hook: async () => {
        let timer: unknown;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = clock.setTimeout(() => resolve('timeout'), flushTimeoutMs);
        });
        try {
          const outcome = await Promise.race([flushTelemetry().then(() => 'flushed' as const), timedOut]);
          if (outcome === 'timeout') {
            logger.warn(
              { timeoutMs: flushTimeoutMs },
              'telemetry flush timed out; buffered spans were dropped',
            );
          }
        } catch (err) {
          logger.warn({ err }, 'telemetry flush failed; buffered spans were dropped');
        } finally {
          clock.clearTimeout(timer);
        }
      },
    });
  }

  const onDeadline = () => {
    logger.error(
      {
        step: currentStep,
        pendingHooks: remainingHooks(),
        servers: drains.map((d) => d.status()),
        timeoutMs,
      },
      'shutdown deadline exceeded, exiting with code 1',
    );
    for (const d of drains) d.destroyAll();
    exitOnce(1);
  };

  let hooksDone = 0;
  const remainingHooks = () =>
    hooks
      .slice()
      .reverse()
      .slice(hooksDone)
      .map((h) => h.name);

  const runShutdown = async (reason: string) => {
    const started = clock.now();
    logger.info({ reason, delayMs, timeoutMs }, 'shutdown started: readiness is now 503');
    const deadline = clock.setTimeout(onDeadline, timeoutMs);
    let failed = false;
    try {
      if (delayMs > 0) {
        currentStep = 'drain delay';
        await sleep(delayMs);
      }
      currentStep = 'draining connections';
      await Promise.all(drains.map((d) => d.drain()));
      for (const { name, hook } of hooks.slice().reverse()) {
        currentStep = `hook ${name}`;
        try {
          await hook();
        } catch (err) {
          failed = true;
          logger.error({ err, hook: name }, 'shutdown hook failed');
        }
        hooksDone += 1;
      }
    } finally {
      clock.clearTimeout(deadline);
    }
    currentStep = 'done';
    logger.info({ durationMs: Math.round(clock.now() - started), failed }, 'shutdown complete');
    exitOnce(failed ? 1 : 0);
  };

  const kit: ServiceKit = {
    name: options.name,
    version: options.version ?? '0.0.0',
    logger,
    registry,
    metrics,
    httpMetrics,
    readiness: {
      addCheck: (name, check, opts) => readiness.addCheck(name, check, opts),
      removeCheck: (name) => readiness.removeCheck(name),
      report: () => readiness.run(state),
    },
    onShutdown(name, hook) {
      hooks.push({ name, hook });
    },
    onBeforeListen(hook) {
      beforeListen.push(hook);
    },
    markStarted() {
      if (state === 'starting') state = 'running';
    },
    lifecycle: () => state,
    isDraining: () => state === 'draining',
    shutdown(reason) {
      if (!shutdownPromise) {
        state = 'draining';
        shutdownPromise = runShutdown(reason);
      }
      return shutdownPromise;
    },
    installSignalHandlers() {
      const source = options.signalSource ?? process;
      const handler = (signal: string) => {
        if (shutdownPromise) {
          logger.warn({ signal, step: currentStep }, 'second signal during shutdown, exiting with code 1');
          exitOnce(1);
          return;
        }
        void kit.shutdown(signal);
      };
      source.on('SIGTERM', handler);
      source.on('SIGINT', handler);
      return () => {
        source.off('SIGTERM', handler);
        source.off('SIGINT', handler);
      };
    },
    trackServer(server) {
      drains.push(new ServerDrain(server));
    },
    async listen(server, port, host = '0.0.0.0') {
      for (const hook of beforeListen) await hook();
      // Outlive the idle timeout of proxies in front (nginx/ingress keep upstream sockets ~60 s),
      // otherwise the proxy may reuse a socket Node just closed.
      if (server.keepAliveTimeout <= 5000) {
        server.keepAliveTimeout = 65_000;
        server.headersTimeout = 66_000;
      }
      kit.trackServer(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      kit.markStarted();
      const address = server.address();
      logger.info({ port: typeof address === 'object' && address ? address.port : port, host }, 'listening');
      return server;
    },
  };
  return kit;
}
