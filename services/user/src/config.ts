import { baseConfigSchema } from '@shop/service-kit';
import { z } from 'zod';

/** The PostgreSQL schema the user service's tables live in (migrations/, migrate.ts, the test harness). */
export const DB_SCHEMA = 'users';

const positiveInt = z.coerce.number().int().min(1);

/** The user service's environment: the kit's base keys plus keys, token lifetimes and login limits. */
export const userConfigSchema = baseConfigSchema.extend({
  SERVICE_NAME: z.string().min(1).default('user-service'),
  SERVICE_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  /** gRPC listener (UserService.VerifyToken, grpc.health.v1.Health); 0 turns it off. */
  GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(9090),
  /** PKCS#8 PEM of the signing key (EC P-256 → ES256, Ed25519 → EdDSA); `\n` escapes are accepted. */
  JWT_PRIVATE_KEY: z.string().optional(),
  /** `kid` of the signing key; defaults to its RFC 7638 thumbprint. */
  JWT_KEY_ID: z.string().min(1).max(128).optional(),
  /** Extra public keys to publish in the JWKS (`{"keys":[…]}` or `[…]`), e.g. the next key during rotation. */
  JWT_PUBLIC_KEYS: z.string().optional(),
  JWT_ISSUER: z.string().min(1).default('shop-user-service'),
  JWT_AUDIENCE: z.string().min(1).default('shop'),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt.max(3600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: positiveInt.default(7 * 24 * 3600),
  LOGIN_MAX_FAILURES_PER_USERNAME: positiveInt.default(5),
  LOGIN_MAX_FAILURES_PER_IP: positiveInt.default(50),
  LOGIN_FAILURE_WINDOW_SECONDS: positiveInt.default(900),
  /**
   * Niceness of the thread pool that runs argon2id (0 leaves it as the process's): when the CPU is
   * contended, request handling — reads here and the other services on the node — goes first.
   */
  PASSWORD_HASH_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /** Honour X-Forwarded-For from the ingress/gateway so the per-address login limit sees clients. */
  TRUST_PROXY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** `Secure` on the storefront's refresh cookie; false only for plain-HTTP development (compose, npm run dev). */
  REFRESH_COOKIE_SECURE: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  ADMIN_USERNAME: z.string().optional(),
  ADMIN_EMAIL: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
});

export type UserConfig = z.output<typeof userConfigSchema>;
