// `node dist/reconcile.js [YYYY-MM-DD]` — runs the daily reconciliation once (default: yesterday,
// UTC) under the same Redis lock as the admin endpoint, prints the report as JSON, exits 0 when
// everything matched, 2 when there are discrepancies, 1 on error (including "lock held").
import { bootstrapService, createDataClients, readPackageVersion } from '@shop/service-kit';
import { paymentConfigSchema } from './config.js';
import { createPaymentsRepository } from './modules/payments/payments.repository.js';
import { createReconciliationService } from './modules/reconciliation/reconciliation.service.js';
import { createSandboxProvider } from './modules/sandbox/sandbox.provider.js';
import { createSandboxRepository } from './modules/sandbox/sandbox.repository.js';

const version = readPackageVersion(new URL('../package.json', import.meta.url));
// Logs go to stderr: stdout carries the report. In-process: no signal handlers, no exit of its own.
const { config, logger, kit } = bootstrapService({
  name: 'payment',
  version,
  configSchema: paymentConfigSchema,
  env: process.env,
  inProcess: true,
  logDestination: process.stderr,
});
const date = process.argv[2] ?? new Date(Date.now() - 24 * 3600_000).toISOString().slice(0, 10);
// The kit's clients: guarded pool (a database restart mid-run ends in the error below, not an
// uncaught 'error' event) and a Sentinel-aware Redis client like the service's.
const { pool, redis } = createDataClients(kit, config, { postgres: { max: 2 } });
const now = () => new Date();
let code = 1;
try {
  const reconciliation = createReconciliationService({
    payments: createPaymentsRepository(pool),
    redis,
    provider: createSandboxProvider({
      repository: createSandboxRepository(pool),
      asyncDelayMs: config.SANDBOX_ASYNC_DELAY_MS,
      now,
    }),
    lockTtlMs: config.RECONCILIATION_LOCK_TTL_MS,
    now,
  });
  const report = await reconciliation.run(date);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  code = report.totals.missing + report.totals.mismatched === 0 ? 0 : 2;
} catch (err) {
  logger.error({ err, date }, 'reconciliation failed');
} finally {
  redis.disconnect();
  await pool.end();
}
process.exit(code);
