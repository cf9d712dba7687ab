// Where the .proto files of the gRPC APIs live, for @grpc/proto-loader. The files ship beside `dist`
// (package `files`, and the Dockerfile copies `proto/` into the runtime image).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function protoRoot(): string {
  const beside = new URL('../proto/', import.meta.url);
  if (existsSync(beside)) return fileURLToPath(beside);
  // Inlined into a service bundle (`dist/main.bundle.js`): the package itself is still installed beside the
  // service, .proto files included.
  return fileURLToPath(new URL('../proto/', import.meta.resolve('@shop/contracts')));
}

/** Include directory of every Shop .proto file (`packages/contracts/proto`). */
export const PROTO_ROOT = protoRoot();

/** The user service's internal API, relative to `PROTO_ROOT`. */
export const USER_SERVICE_PROTO = 'shop/user/v1/user.proto';
/** Fully qualified name of the user service, as health checks and metrics name it. */
export const USER_SERVICE_NAME = 'shop.user.v1.UserService';

/**
 * How every Shop process loads the protos (@grpc/proto-loader options): field names as written,
 * int64 as numbers, enums as their names, defaults filled in. Server, clients and tests share it so
 * they decode messages alike.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** The standard gRPC health-checking protocol, relative to `PROTO_ROOT`. */
export const HEALTH_PROTO = 'grpc/health/v1/health.proto';

/** Trailer naming the problem code of an UNAUTHENTICATED VerifyToken (`AUTH.INVALID_TOKEN`, …). */
export const ERROR_CODE_TRAILER = 'shop-error-code';

/** `VerifyToken`'s answer, as @grpc/proto-loader decodes it (`longs: Number`, `keepCase`). */
export interface VerifyTokenResponse {
  user_id: string;
  role: string;
  username: string;
  expires_at: number;
}
