// What a service bundle (`scripts/bundle-service.mjs`, README "Performance": cold start) must leave to
// node_modules instead of inlining. Kept beside the telemetry entry because most of the list follows from it:
// the instrumentations patch a package when it is loaded by name (require-in-the-middle for CommonJS,
// the import-in-the-middle loader hook for ESM), so a package inlined into a bundle would never be traced.

/** Packages the kit's instrumentations patch when they are loaded (`getModuleDefinitions` of each). */
export const INSTRUMENTED_PACKAGES = ['pg', 'pg-pool', 'ioredis', '@grpc/grpc-js'] as const;

/**
 * Left out of every service bundle: the instrumented packages; the module hooks themselves (one instance
 * shared by the loader hook and the instrumentations); native addons (argon2 loads its binary from its own
 * directory); and packages that read files beside their own sources at run time (pino's transports start
 * a worker from its own directory, the Swagger plugins read their package.json and UI assets, protobufjs
 * under @grpc/proto-loader requires optional modules by computed names).
 */
export const BUNDLE_EXTERNALS: readonly string[] = [
  ...INSTRUMENTED_PACKAGES,
  'pg-native',
  '@grpc/proto-loader',
  'import-in-the-middle',
  'require-in-the-middle',
  'argon2',
  'pino',
  'thread-stream',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  'swagger-ui-express',
  'swagger-ui-dist',
];

/** Where `scripts/bundle-service.mjs` writes a service's bundle, relative to the service's directory. */
export const BUNDLE_ENTRIES = {
  /** Loaded with `--import` before the app: starts tracing and installs the module hooks. */
  telemetry: 'dist/telemetry.bundle.js',
  /** The service (its `dist/main.js` and every dependency not in BUNDLE_EXTERNALS). */
  main: 'dist/main.bundle.js',
} as const;
