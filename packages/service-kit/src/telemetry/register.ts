// Entry loaded with `node --import @shop/service-kit/telemetry dist/main.js` (the image loads it bundled:
// `--import ./dist/telemetry.bundle.js dist/main.bundle.js`): it must run before the application imports
// fastify/express/pg/ioredis so the instrumentations can patch them.
import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { startTelemetry, telemetryDisabled } from './telemetry.js';

if (!telemetryDisabled()) {
  let acknowledged = async () => {};
  // ESM modules can only be patched through a loader hook (import-in-the-middle), limited here to the
  // modules the instrumentations patch: wrapping every module of the app (its default) cost seconds of
  // start-up and tens of MiB. Where Node can run it (>= 24.11.1), the hook runs synchronously on the main
  // thread (module.registerHooks) instead of paying a round trip to a loader thread per imported module.
  const hookModules = async (modules: string[]) => {
    const sync = await import('import-in-the-middle/register-hooks.mjs');
    if (sync.supportsSyncHooks()) {
      sync.register({ include: modules });
      return;
    }
    const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
    register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
    acknowledged = waitForAllMessagesAcknowledged;
  };
  await startTelemetry(process.env, hookModules);
  await acknowledged();
}
