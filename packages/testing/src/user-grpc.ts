// A plain @grpc/grpc-js client of the user service's gRPC port for tests: promisified unary calls with
// a deadline (as the order service and Kubernetes' `grpc:` probe call it) and a Watch stream recorder,
// over a real socket. Protos and loader options from @shop/contracts.
import {
  type ClientReadableStream,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  Metadata,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  ERROR_CODE_TRAILER,
  HEALTH_PROTO,
  PROTO_LOADER_OPTIONS,
  PROTO_ROOT,
  USER_SERVICE_NAME,
  USER_SERVICE_PROTO,
  type VerifyTokenResponse,
} from '@shop/contracts';

type Unary = (
  req: object,
  md: Metadata,
  opts: { deadline: number },
  cb: (err: ServiceError | null, res: unknown) => void,
) => void;
type Stub = Record<string, Unary> & {
  close(): void;
  Watch?(req: object): ClientReadableStream<{ status: string }>;
};

export interface UserGrpcClient {
  /** Any unary method of `service` (`shop.user.v1.UserService`, `grpc.health.v1.Health`); rejects with the ServiceError. */
  call<T = Record<string, unknown>>(service: string, method: string, request: object): Promise<T>;
  verifyToken(token: string): Promise<VerifyTokenResponse>;
  /** `grpc.health.v1.Health/Check`: the status name (`SERVING`, `NOT_SERVING`, …). */
  check(service?: string): Promise<string>;
  /** `grpc.health.v1.Health/Watch`: every status streamed, and when the stream ended. */
  watch(service?: string): { statuses: string[]; ended: Promise<void>; call: ClientReadableStream<unknown> };
  close(): void;
}

/** Client of the user service's gRPC listener at `host:port` (default host 127.0.0.1). */
export function userGrpcClient(
  port: number,
  options: { host?: string; deadlineMs?: number } = {},
): UserGrpcClient {
  const pkg = loadPackageDefinition(
    loadSync([USER_SERVICE_PROTO, HEALTH_PROTO], { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] }),
  );
  const target = `${options.host ?? '127.0.0.1'}:${port}`;
  const deadlineMs = options.deadlineMs ?? 10_000;
  const stubs = new Map<string, Stub>();
  const stub = (service: string): Stub => {
    let s = stubs.get(service);
    if (!s) {
      const Ctor = service
        .split('.')
        .reduce<unknown>((o, k) => (o as GrpcObject)[k], pkg) as ServiceClientConstructor;
      s = new Ctor(target, credentials.createInsecure()) as unknown as Stub;
      stubs.set(service, s);
    }
    return s;
  };
  const call = <T>(service: string, method: string, request: object) => {
    const s = stub(service);
    return new Promise<T>((resolve, reject) =>
      s[method]!.call(s, request, new Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) =>
        err ? reject(err) : resolve(res as T),
      ),
    );
  };
  return {
    call,
    verifyToken: (token) => call<VerifyTokenResponse>(USER_SERVICE_NAME, 'VerifyToken', { token }),
    check: async (service = '') =>
      (await call<{ status: string }>('grpc.health.v1.Health', 'Check', { service })).status,
    watch(service = '') {
      const statuses: string[] = [];
      const stream = stub('grpc.health.v1.Health').Watch!({ service });
      stream.on('data', (m: { status: string }) => statuses.push(m.status));
      const ended = new Promise<void>((resolve) => {
        stream.on('end', () => resolve());
        stream.on('error', () => resolve());
      });
      return { statuses, ended, call: stream };
    },
    close() {
      for (const s of stubs.values()) s.close();
    },
  };
}

/** The gRPC error a promise rejected with: its code, details and `shop-error-code` trailer. */
export async function grpcFailure(promise: Promise<unknown>) {
  const err = (await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  )) as ServiceError;
  return { code: err.code, details: err.details, errorCode: err.metadata?.get(ERROR_CODE_TRAILER)[0] };
}
