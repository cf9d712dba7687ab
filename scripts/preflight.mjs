// Fails fast with one clear message when PostgreSQL or Redis is unreachable, instead of letting every
// integration test print its own wall of connection errors.
import net from 'node:net';

const pgUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

function reachable(host, port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const checks = [
  ['PostgreSQL', 'DATABASE_URL', pgUrl.hostname, pgUrl.port || 5432],
  ['Redis', 'REDIS_URL', redisUrl.hostname, redisUrl.port || 6379],
];
const missing = [];
for (const [name, env, host, port] of checks) {
  if (!(await reachable(host, port)))
    missing.push(`  - ${name} at ${host}:${port} (set ${env} to change it)`);
}
if (missing.length > 0) {
  console.error(
    [
      'Shop tests need a real PostgreSQL and Redis, and these are unreachable:',
      ...missing,
      '',
      'Start them with Docker (the compose ones, published on loopback):',
      '  docker compose -f docker-compose.yml -f docker-compose.data-ports.yml up -d postgres redis',
      '  export DATABASE_URL=postgres://shop:dev-only-postgres-password@127.0.0.1:5432/postgres',
      '  export REDIS_URL=redis://:dev-only-redis-password@127.0.0.1:6379',
      'or point DATABASE_URL (a role that may create databases) and REDIS_URL at your own servers.',
    ].join('\n'),
  );
  process.exit(1);
}
