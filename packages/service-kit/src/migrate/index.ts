export { type MigrateCliOptions, migrateCli } from './migrate-cli.js';
export {
  MigrationError,
  type MigrationResult,
  type RunMigrationsOptions,
  readMigrationFiles,
  runMigrations,
} from './run-migrations.js';
