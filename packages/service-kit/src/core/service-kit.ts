import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createFaultFlags, type FaultFlags } from '../flags/fault-flags.js';
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
import { dispatchRequests } from './request-dispatch.js';
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
  /** Where `uncaughtException`/`unhandledRejection` are received; defaults to `process`. */
  faultSource?: NodeJS.EventEmitter;
  /** Register the OpenTelemetry flush as the last shutdown step (default true). */
  flushTelemetryOnShutdown?: boolean;
  /** Runtime fault flags (`FLAGS_FILE`): without a file every flag is off. */
  flags?: { file?: string; pollIntervalMs?: number };
  /** Longest wait for the telemetry flush; past it the spans are dropped, the exit stays clean (default 3000). */
  telemetryFlushTimeoutMs?: number;
}

/**
 * `draining`: readiness is 503 and the drain delay runs (requests are still served, with
 * `Connection: close`); `stopping`: the servers stopped accepting and in-flight requests finish —
 * a request that still arrives on an open connection gets 503 `SERVICE.DRAINING` before any work.
 */
export type Lifecycle = 'starting' | 'running' | 'draining' | 'stopping';

export interface ShutdownOptions {
  /** Exit 1 even when every step succeeds (a fault, not a deployment, ended the process). */
  exitCode?: 1;
}

/** The framework-free lifecycle object each service creates once in `main.ts`. */
export interface ServiceKit {
  readonly name: string;
  readonly version: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly metrics: MetricsFactory;
  readonly httpMetrics: HttpMetrics;
  /** Runtime fault flags from the flags file (OpenFeature, flagd JSON), reloaded on change. */
  readonly flags: FaultFlags;
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
  /** True from the start of the shutdown (readiness 503) until exit. */
  isDraining(): boolean;
  /** True once the servers stopped accepting: new requests are answered 503 before any work. */
  isStopping(): boolean;
  /** Runs the shutdown sequence once; later calls return the same promise (and may still force exit 1). */
  shutdown(reason: string, options?: ShutdownOptions): Promise<void>;
  /** SIGTERM/SIGINT start the shutdown; a second signal exits 1 at once. Returns an uninstaller. */
  installSignalHandlers(): () => void;
  /**
   * The last line of defence: an `uncaughtException` or `unhandledRejection` is logged (with the
   * trace id of the context it happened in) and starts the graceful shutdown, which ends in exit 1.
   * Returns an uninstaller.
   */
  installFaultHandlers(): () => void;
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

let kitSequence = 0;

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
  const flags = createFaultFlags({
    domain: `${options.name}#${++kitSequence}`,
    file: options.flags?.file,
    ...(options.flags?.pollIntervalMs !== undefined ? { pollIntervalMs: options.flags.pollIntervalMs } : {}),
    logger,
    metrics,
  });
  const readiness = new Readiness(() => clock.now(), logger);
  const hooks: { name: string; hook: () => Promise<unknown> | unknown }[] = [];
  const beforeListen: (() => Promise<unknown> | unknown)[] = [];
  const drains: ServerDrain[] = [];
  let state: Lifecycle = 'starting';
  let shutdownPromise: Promise<void> | undefined;
  let currentStep = 'not started';
  let exited = false;
  let faulted = false;

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
    // Keep-alive clients learn from every answer from now on that this instance is going away.
    for (const d of drains) d.closeAfterEachResponse();
    try {
      if (delayMs > 0) {
        currentStep = 'drain delay';
        await sleep(delayMs);
      }
      state = 'stopping';
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
      // Stops the flags file watcher and poll; evaluations keep the last flag set.
      await flags.close();
    }
    currentStep = 'done';
    const code = failed || faulted ? 1 : 0;
    logger.info(
      { durationMs: Math.round(clock.now() - started), failed, exitCode: code },
      'shutdown complete',
    );
    exitOnce(code);
  };

  let faults = 0;
  const onFault = (kind: 'uncaughtException' | 'unhandledRejection', err: unknown) => {
    faults += 1;
    // A fault repeating in a tight loop must not flood the log while the drain runs.
    if (faults <= 10) {
      logger.fatal(
        { err, fault: kind, step: currentStep },
        kind === 'uncaughtException'
          ? 'uncaught exception: shutting down gracefully, exit code 1'
          : 'unhandled promise rejection: shutting down gracefully, exit code 1',
      );
    } else if (faults === 11) logger.fatal({ fault: kind }, 'further faults are not logged');
    void kit.shutdown(kind, { exitCode: 1 });
  };

  const kit: ServiceKit = {
    name: options.name,
    version: options.version ?? '0.0.0',
    logger,
    registry,
    metrics,
    httpMetrics,
    flags,
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
    isDraining: () => state === 'draining' || state === 'stopping',
    isStopping: () => state === 'stopping',
    shutdown(reason, shutdownOptions) {
      if (shutdownOptions?.exitCode === 1) faulted = true;
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
    installFaultHandlers() {
      const source = options.faultSource ?? process;
      const onException = (err: unknown) => onFault('uncaughtException', err);
      const onRejection = (reason: unknown) => onFault('unhandledRejection', reason);
      source.on('uncaughtException', onException);
      source.on('unhandledRejection', onRejection);
      return () => {
        source.off('uncaughtException', onException);
        source.off('unhandledRejection', onRejection);
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
      const drain = new ServerDrain(server, { dispatch: true });
      drains.push(drain);
      dispatchRequests(server, drain);
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
