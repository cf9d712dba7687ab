// A plain @grpc/grpc-js client of the user service's gRPC port for tests: promisified unary calls and
// a Watch stream recorder, over a real loopback socket.
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
import { HEALTH_PROTO, PROTO_ROOT, USER_SERVICE_PROTO } from '@shop/contracts';
import { PROTO_OPTIONS } from '../src/grpc/grpc-server.js';

type Unary = (
  req: object,
  md: Metadata,
  opts: { deadline: number },
  cb: (e: ServiceError | null, r: unknown) => void,
) => void;

export interface GrpcTestClient {
  verifyToken(
    token: string,
  ): Promise<{ user_id: string; role: string; username: string; expires_at: number }>;
  check(service?: string): Promise<string>;
  watch(service?: string): { statuses: string[]; ended: Promise<void>; call: ClientReadableStream<unknown> };
  close(): void;
}

export function grpcClient(port: number): GrpcTestClient {
  const pkg = loadPackageDefinition(
    loadSync([USER_SERVICE_PROTO, HEALTH_PROTO], { ...PROTO_OPTIONS, includeDirs: [PROTO_ROOT] }),
  );
  const ctor = (path: string) =>
    path.split('.').reduce<unknown>((o, k) => (o as GrpcObject)[k], pkg) as ServiceClientConstructor;
  const target = `127.0.0.1:${port}`;
  const user = new (ctor('shop.user.v1.UserService'))(
    target,
    credentials.createInsecure(),
  ) as unknown as Record<string, Unary>;
  const health = new (ctor('grpc.health.v1.Health'))(
    target,
    credentials.createInsecure(),
  ) as unknown as Record<string, Unary> & { Watch(req: object): ClientReadableStream<{ status: string }> };
  const call = <T>(fn: Unary, self: object, req: object) =>
    new Promise<T>((resolve, reject) =>
      fn.call(self, req, new Metadata(), { deadline: Date.now() + 10_000 }, (err, res) =>
        err ? reject(err) : resolve(res as T),
      ),
    );
  return {
    verifyToken: (token) => call(user.VerifyToken!, user, { token }),
    check: async (service = '') =>
      (await call<{ status: string }>(health.Check!, health, { service })).status,
    watch(service = '') {
      const statuses: string[] = [];
      const stream = health.Watch({ service });
      stream.on('data', (m: { status: string }) => statuses.push(m.status));
      const ended = new Promise<void>((resolve) => {
        stream.on('end', () => resolve());
        stream.on('error', () => resolve());
      });
      return { statuses, ended, call: stream };
    },
    close() {
      (user as unknown as { close(): void }).close();
      (health as unknown as { close(): void }).close();
    },
  };
}

/** The gRPC error a promise rejected with: its code name and `shop-error-code` trailer. */
export async function grpcFailure(promise: Promise<unknown>) {
  const err = (await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  )) as ServiceError;
  return { code: err.code, details: err.details, errorCode: err.metadata?.get('shop-error-code')[0] };
}
