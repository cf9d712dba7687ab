// grpc.health.v1.Health (Check and Watch) following the service's readiness: SERVING exactly when
// `/readyz` would answer 200, so Kubernetes' native `grpc:` probe and `/readyz` agree — NOT_SERVING
// while starting, while PostgreSQL or Redis is down, and from the first moment of a shutdown.
import {
  status as GrpcStatus,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { ServiceKit } from '@shop/service-kit';

export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthRequest {
  service: string;
}
interface HealthResponse {
  status: ServingStatus;
}

export interface HealthServiceOptions {
  kit: Pick<ServiceKit, 'readiness' | 'logger'>;
  /** Service names answered besides `""` (the whole server), e.g. `shop.user.v1.UserService`. */
  services: string[];
  /** How often open Watch streams re-evaluate readiness (default 5000 ms; tests pass a few ms). */
  watchIntervalMs?: number;
}

export interface HealthService {
  implementation: {
    Check(
      call: ServerUnaryCall<HealthRequest, HealthResponse>,
      callback: sendUnaryData<HealthResponse>,
    ): void;
    Watch(call: ServerWritableStream<HealthRequest, HealthResponse>): void;
  };
  /** Sends NOT_SERVING to every watcher and ends the streams (a graceful shutdown waits for open calls). */
  close(): void;
}

interface Watcher {
  call: ServerWritableStream<HealthRequest, HealthResponse>;
  last?: ServingStatus;
}

export function createHealthService(options: HealthServiceOptions): HealthService {
  const known = new Set(['', ...options.services]);
  const intervalMs = options.watchIntervalMs ?? 5000;
  const watchers = new Set<Watcher>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const serving = async (): Promise<ServingStatus> => {
    if (closed) return 'NOT_SERVING';
    const report = await options.kit.readiness.report();
    return report.status === 'ready' ? 'SERVING' : 'NOT_SERVING';
  };

  const push = (w: Watcher, status: ServingStatus) => {
    if (w.last === status || w.call.cancelled) return;
    w.last = status;
    w.call.write({ status });
  };

  // One readiness evaluation per tick for all watchers, not one per stream.
  const tick = async () => {
    const known_ = [...watchers].filter((w) => known.has(w.call.request.service));
    if (known_.length === 0) return;
    const status = await serving().catch(() => 'NOT_SERVING' as const);
    for (const w of known_) push(w, status);
  };
  const ensureTimer = () => {
    if (timer || closed) return;
    timer = setInterval(() => void tick(), intervalMs);
    timer.unref();
  };
  const stopTimerIfIdle = () => {
    if (watchers.size > 0 || !timer) return;
    clearInterval(timer);
    timer = undefined;
  };

  return {
    implementation: {
      Check(call, callback) {
        const service = call.request.service;
        if (!known.has(service)) {
          callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service "${service}"` });
          return;
        }
        serving().then(
          (status) => callback(null, { status }),
          (err: unknown) => {
            options.kit.logger.warn({ err }, 'gRPC health check failed');
            callback(null, { status: 'NOT_SERVING' });
          },
        );
      },
      Watch(call) {
        const watcher: Watcher = { call };
        if (closed) {
          call.write({ status: 'NOT_SERVING' });
          call.end();
          return;
        }
        watchers.add(watcher);
        const forget = () => {
          watchers.delete(watcher);
          stopTimerIfIdle();
        };
        call.on('cancelled', forget);
        call.on('close', forget);
        if (!known.has(call.request.service)) {
          // The protocol: an unknown service is SERVICE_UNKNOWN, and the stream stays open.
          push(watcher, 'SERVICE_UNKNOWN');
        } else {
          void serving()
            .catch(() => 'NOT_SERVING' as const)
            .then((status) => push(watcher, status));
        }
        ensureTimer();
      },
    },
    close() {
      closed = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const w of watchers) {
        if (!w.call.cancelled) {
          push(w, 'NOT_SERVING');
          w.call.end();
        }
      }
      watchers.clear();
    },
  };
}
