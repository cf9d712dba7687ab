// Entry loaded with `node --import @shop/service-kit/telemetry dist/main.js`: it must run before the
// application imports fastify/express/pg/ioredis so the instrumentations can patch them.
import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { startTelemetry, telemetryDisabled } from './telemetry.js';

if (!telemetryDisabled()) {
  // ESM modules can only be patched through a loader hook (import-in-the-middle). The message channel
  // limits the hook to the modules the instrumentations patch: wrapping every module of the app (the
  // default) cost seconds of start-up and tens of MiB.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  await startTelemetry();
  await waitForAllMessagesAcknowledged();
}
