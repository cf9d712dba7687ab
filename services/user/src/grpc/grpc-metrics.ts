import { status as GrpcStatus, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type { MetricsFactory } from '@shop/service-kit';
import { HTTP_DURATION_BUCKETS } from '@shop/service-kit';

/** `OK`, `UNAUTHENTICATED`, … — the status name, as Prometheus labels and dashboards use it. */
export const grpcCodeName = (code: number | undefined): string =>
  (GrpcStatus as unknown as Record<number, string>)[code ?? GrpcStatus.OK] ?? String(code);

export type UnaryHandler<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

/** Wraps unary handlers so every call lands in `grpc_server_request_duration_seconds{method,code}`. */
export function createGrpcServerMetrics(metrics: MetricsFactory) {
  const duration = metrics.histogram({
    name: 'grpc_server_request_duration_seconds',
    help: 'gRPC calls handled, by full method name and status code (health checks excluded)',
    labelNames: ['method', 'code'] as const,
    buckets: HTTP_DURATION_BUCKETS,
  });
  return {
    duration,
    unary<Req, Res>(method: string, handler: UnaryHandler<Req, Res>): UnaryHandler<Req, Res> {
      return (call, callback) => {
        const end = duration.startTimer({ method });
        handler(call, (err, value, trailer, flags) => {
          end({ code: grpcCodeName(err ? (err.code ?? GrpcStatus.UNKNOWN) : GrpcStatus.OK) });
          callback(err, value, trailer, flags);
        });
      };
    },
  };
}
