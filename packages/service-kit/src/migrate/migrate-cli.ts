import { baseConfigSchema, loadConfig } from '../config/config.js';
import { createLogger } from '../logger/logger.js';
import { runMigrations } from './run-migrations.js';

export interface MigrateCliOptions {
  schema: string;
  dir: string | URL;
  env?: Record<string, string | undefined>;
  exit?: (code: number) => void;
}

/**
 * Body of a service's `dist/migrate.js`: reads DATABASE_URL or the DB_* variables, applies the
 * migrations, logs the outcome and exits 0 (or 1 with the reason).
 */
export async function migrateCli(options: MigrateCliOptions): Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const env = options.env ?? process.env;
  const logger = createLogger({
    name: `${env.SERVICE_NAME ?? options.schema}-migrate`,
    level: env.LOG_LEVEL ?? 'info',
  });
  try {
    const config = loadConfig(baseConfigSchema, env);
    const result = await runMigrations({
      connectionString: config.databaseUrl,
      schema: options.schema,
      dir: options.dir,
      logger,
    });
    logger.info(
      { schema: options.schema, applied: result.applied, current: result.current },
      'migrations finished',
    );
    exit(0);
  } catch (err) {
    logger.error({ err, schema: options.schema }, 'migrations failed');
    exit(1);
  }
}
