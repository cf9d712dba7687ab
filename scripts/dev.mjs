// `npm run dev`: all four services in watch mode against the local PostgreSQL and Redis, and the
// storefront's Vite dev server with hot reload on http://localhost:5173 (STOREFRONT_PORT), which
// routes /api/v1 to the services the way the gateway does.
// Creates the `ecommerce` database when missing, applies every service's migrations, seeds the demo
// catalog and the admin, then runs `turbo run dev`. The secrets below are development-only defaults;
// any variable already set in your environment wins.
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = {
  NODE_ENV: 'development',
  LOG_FORMAT: 'pretty',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/ecommerce',
  REDIS_URL: 'redis://127.0.0.1:6379',
  REDIS_KEY_PREFIX: 'shop-dev:',
  USER_SERVICE_URL: 'http://127.0.0.1:8080',
  PRODUCT_SERVICE_URL: 'http://127.0.0.1:8081',
  ORDER_SERVICE_URL: 'http://127.0.0.1:8082',
  PAYMENT_SERVICE_URL: 'http://127.0.0.1:8083',
  // The order service checks access tokens through the user service's gRPC port (GRPC_PORT, 9090).
  USER_GRPC_URL: '127.0.0.1:9090',
  INTERNAL_API_TOKEN: 'dev-only-internal-token-0123456789',
  PAYMENT_GATEWAY_KEY: 'dev-only-sandbox-webhook-key-0123456789',
  ADMIN_USERNAME: 'admin',
  ADMIN_EMAIL: 'admin@shop.local',
  ADMIN_PASSWORD: 'dev-only-admin-password',
  // The storefront runs on plain HTTP here; its refresh cookie cannot require HTTPS.
  REFRESH_COOKIE_SECURE: 'false',
  ...process.env,
};

const dbUrl = new URL(env.DATABASE_URL);
const dbName = dbUrl.pathname.slice(1);
const adminUrl = new URL(dbUrl);
adminUrl.pathname = '/postgres';
const admin = new pg.Client({ connectionString: adminUrl.toString() });
try {
  await admin.connect();
} catch (err) {
  console.error(`PostgreSQL is unreachable at ${adminUrl.host} (${err.message}).`);
  console.error('Start it (e.g. `docker compose up -d postgres redis`) or set DATABASE_URL.');
  process.exit(1);
}
const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
if (exists.rowCount === 0) {
  console.log(`[dev] creating database ${dbName}`);
  await admin.query(`CREATE DATABASE "${dbName.replaceAll('"', '""')}"`);
}
await admin.end();

const sh = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, env, stdio: 'inherit' });
console.log('[dev] building workspace packages');
sh('npx', ['turbo', 'run', 'build', '--filter=./packages/*', '--output-logs=errors-only']);
for (const svc of ['user', 'product', 'order', 'payment']) {
  console.log(`[dev] migrating ${svc}`);
  sh('npx', ['tsx', 'src/migrate.ts'], `${root}services/${svc}`);
}
for (const svc of ['user', 'product']) {
  console.log(`[dev] seeding ${svc}`);
  sh('npx', ['tsx', 'src/seed.ts'], `${root}services/${svc}`);
}

console.log(
  `[dev] storefront: http://localhost:${env.STOREFRONT_PORT ?? 5173}/ (admin: ${env.ADMIN_USERNAME})`,
);
const child = spawn(
  `${root}node_modules/.bin/turbo`,
  ['run', 'dev', '--env-mode=loose', '--filter=./services/*'],
  {
    cwd: root,
    env,
    stdio: 'inherit',
  },
);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
