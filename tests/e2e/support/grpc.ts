// Calls the user service's gRPC port (127.0.0.1) the way the order service and Kubernetes' `grpc:`
// probe do: unary calls with a deadline, protos from @shop/contracts.
import {
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { HEALTH_PROTO, PROTO_ROOT, USER_SERVICE_PROTO } from '@shop/contracts';

type Unary = (
  req: object,
  md: Metadata,
  opts: { deadline: number },
  cb: (err: ServiceError | null, res: unknown) => void,
) => void;
type Stub = Record<string, Unary> & { close(): void };

/** `call(service, method, request)` against `127.0.0.1:port`; rejects with the ServiceError. */
export function userGrpc(port: number) {
  const pkg = loadPackageDefinition(
    loadSync([USER_SERVICE_PROTO, HEALTH_PROTO], {
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: true,
      includeDirs: [PROTO_ROOT],
    }),
  );
  const stubs = new Map<string, Stub>();
  const stub = (service: string) => {
    let s = stubs.get(service);
    if (!s) {
      const Ctor = service.split('.').reduce<unknown>((o, k) => (o as GrpcObject)[k], pkg) as new (
        target: string,
        creds: ReturnType<typeof credentials.createInsecure>,
      ) => Stub;
      s = new Ctor(`127.0.0.1:${port}`, credentials.createInsecure());
      stubs.set(service, s);
    }
    return s;
  };
  return {
    call<T = Record<string, unknown>>(service: string, method: string, request: object): Promise<T> {
      const s = stub(service);
      return new Promise<T>((resolve, reject) =>
        s[method]!.call(s, request, new Metadata(), { deadline: Date.now() + 5000 }, (err, res) =>
          err ? reject(err) : resolve(res as T),
        ),
      );
    },
    close() {
      for (const s of stubs.values()) s.close();
    },
  };
}
