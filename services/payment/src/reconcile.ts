// `node dist/reconcile.js [YYYY-MM-DD]` — runs the daily reconciliation once (default: yesterday,
// UTC) under the same Redis lock as the admin endpoint, prints the report as JSON, exits 0 when
// everything matched, 2 when there are discrepancies, 1 on error (including "lock held").
import { createLogger, guardPgPool, loadConfig, openRedis, redisOptionsFromConfig } from '@shop/service-kit';
import pg from 'pg';
import { paymentConfigSchema } from './config.js';
import { ReconciliationService } from './modules/reconciliation/reconciliation.service.js';
import { SandboxProvider } from './modules/sandbox/sandbox.provider.js';

const config = loadConfig(paymentConfigSchema, process.env);
const logger = createLogger({ name: `${config.SERVICE_NAME}-reconcile`, level: config.LOG_LEVEL });
const date = process.argv[2] ?? new Date(Date.now() - 24 * 3600_000).toISOString().slice(0, 10);
// Guarded: a database restart mid-run ends in the error below, not an uncaught 'error' event.
const pool = guardPgPool(new pg.Pool({ connectionString: config.databaseUrl, max: 2 }));
// Sentinel-aware like the service (REDIS_SENTINELS, k8s/components/ha-data).
const redis = openRedis(redisOptionsFromConfig(config), {
  keyPrefix: config.REDIS_KEY_PREFIX || undefined,
  maxRetriesPerRequest: 2,
});
// Failures reach the commands (and the error below); without a listener ioredis prints each one.
redis.on('error', () => {});
let code = 1;
try {
  const service = new ReconciliationService({
    pool,
    redis,
    provider: new SandboxProvider({ pool, asyncDelayMs: config.SANDBOX_ASYNC_DELAY_MS }),
    lockTtlMs: config.RECONCILIATION_LOCK_TTL_MS,
  });
  const report = await service.run(date);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  code = report.totals.missing + report.totals.mismatched === 0 ? 0 : 2;
} catch (err) {
  logger.error({ err, date }, 'reconciliation failed');
} finally {
  redis.disconnect();
  await pool.end();
}
process.exit(code);
