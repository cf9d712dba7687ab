// Entry loaded with `node --import @shop/service-kit/telemetry dist/main.js`: it must run before the
// application imports fastify/express/pg/ioredis so the instrumentations can patch them.
import { register } from 'node:module';
import { startTelemetry, telemetryDisabled } from './telemetry.js';

if (!telemetryDisabled()) {
  // ESM modules can only be patched through a loader hook (import-in-the-middle).
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  await startTelemetry();
}
