import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, getFreePort, type TestDatabase } from '@shop/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePgbouncerIni } from './support/capacity.js';
import { find, renderById } from './support/context.js';
import { type K8sObject, repoRoot } from './support/renders.js';
import type { PodSpec } from './support/workloads.js';

/**
 * The data tier's PgBouncer as deployed: its pgbouncer.ini and its init container's auth-file script,
 * taken from the production render, run with Debian's pgbouncer against the local PostgreSQL. Only what
 * differs between the pod and this machine is changed: the server address, the listen port and the
 * directory of the auth files.
 */
const objects = renderById('kustomize:production').objects;
const ini = (find(objects, 'ConfigMap', 'pgbouncer-config') as K8sObject & { data: Record<string, string> })
  .data['pgbouncer.ini']!;
const deployment = find(objects, 'Deployment', 'pgbouncer') as K8sObject & {
  spec: { template: { spec: PodSpec } };
};
const initScript = deployment.spec.template.spec.initContainers![0]!.command!.at(-1)!;
const config = parsePgbouncerIni(ini);

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const AUTH_DIR = '/etc/pgbouncer/auth';
const suffix = randomBytes(4).toString('hex');
const user = `shop_pgb_${suffix}`;
const password = `pw-${randomBytes(8).toString('hex')}`;

let db: TestDatabase;
let work: string;
let port: number;
let bouncer: ChildProcess | undefined;
let output = '';
const admin = () => new pg.Client({ connectionString: adminUrl });

async function adminQuery<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = admin();
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** Resolves once the port accepts TCP connections (polled every 50 ms, 10 s at most). */
async function waitForPort(p: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(p, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (bouncer?.exitCode !== null) throw new Error(`pgbouncer exited:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`pgbouncer did not listen on ${p}:\n${output}`);
}

const viaBouncer = (max: number, database = 'ecommerce', as = user) =>
  new pg.Pool({ host: '127.0.0.1', port, user: as, password, database, max });

beforeAll(async () => {
  const out = execFileSync('bash', [path.join(repoRoot, 'scripts/ensure-pgbouncer.sh')], {
    encoding: 'utf8',
  });
  const bin = /^PGBOUNCER=(.+)$/m.exec(out)![1]!;
  db = await createTestDatabase('pgbouncer');
  await adminQuery(`CREATE ROLE "${user}" LOGIN PASSWORD '${password}'`);
  // The app role owns its database, as ecommerce_app does in the PostgreSQL StatefulSet.
  await adminQuery(`ALTER DATABASE "${db.name}" OWNER TO "${user}"`);
  const { hostname, port: pgPort } = new URL(adminUrl);
  work = mkdtempSync(path.join(tmpdir(), 'shop-pgbouncer-'));
  // PgBouncer refuses to run as root. Like in the pod (both containers run as UID 10001), the init
  // script and PgBouncer run as one unprivileged user: `nobody` when the tests run as root.
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  if ('uid' in asUser) chmodSync(work, 0o777);
  // The init container's script, as the pod runs it, writing into this run's directory.
  execFileSync('sh', ['-c', initScript.replaceAll(AUTH_DIR, work)], {
    env: { ...process.env, DB_USERNAME: user, DB_PASSWORD: password },
    ...asUser,
  });
  port = await getFreePort();
  const local = ini
    .replaceAll(AUTH_DIR, work)
    .replace(
      /^(\w+) = host=\S+ port=\d+ dbname=\w+$/m,
      `$1 = host=${hostname} port=${pgPort || 5432} dbname=${db.name}`,
    )
    .replace(/^listen_addr = .*$/m, 'listen_addr = 127.0.0.1')
    .replace(/^listen_port = .*$/m, `listen_port = ${port}`);
  writeFileSync(path.join(work, 'pgbouncer.ini'), local);
  bouncer = spawn(bin, [path.join(work, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'], ...asUser });
  bouncer.stdout!.on('data', (d) => (output += d));
  bouncer.stderr!.on('data', (d) => (output += d));
  await waitForPort(port);
});

afterAll(async () => {
  bouncer?.kill('SIGINT');
  await db?.drop();
  await adminQuery(`DROP ROLE IF EXISTS "${user}"`).catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the data tier PgBouncer config, run for real', () => {
  it("authenticates the app user with SCRAM from the init container auth file and serves the services' queries", async () => {
    const pool = viaBouncer(5);
    try {
      await pool.query('CREATE TABLE IF NOT EXISTS public.items (id int PRIMARY KEY, status text NOT NULL)');
      await pool.query(
        "INSERT INTO public.items SELECT g, 'due' FROM generate_series(1, 10) g ON CONFLICT DO NOTHING",
      );
      // What the services do: parameterised (unnamed) statements, transaction-scoped row locks.
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ id: number }>(
          'SELECT id FROM public.items WHERE status = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED',
          ['due', 3],
        );
        await client.query('UPDATE public.items SET status = $2 WHERE id = ANY($1::int[])', [
          rows.map((r) => r.id),
          'done',
        ]);
        await client.query('COMMIT');
        expect(rows.map((r) => r.id)).toEqual([1, 2, 3]);
      } finally {
        client.release();
      }
      const { rows } = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM public.items WHERE status = $1',
        ['done'],
      );
      expect(rows[0]!.n).toBe('3');
    } finally {
      await pool.end();
    }
  });

  it("the exporter's stats user reads SHOW CONFIG on the admin console: transaction pooling, the budget numbers", async () => {
    const console = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'pgbouncer' });
    await console.connect();
    try {
      const { rows } = await console.query<{ key: string; value: string }>('SHOW CONFIG');
      const setting = Object.fromEntries(rows.map((r) => [r.key, r.value]));
      expect(setting.pool_mode).toBe('transaction');
      expect(Number(setting.max_client_conn)).toBe(config.maxClientConn);
      expect(Number(setting.max_db_connections)).toBe(config.maxDbConnections);
      expect(Number(setting.default_pool_size)).toBe(config.defaultPoolSize);
    } finally {
      await console.end();
    }
  });

  it(`multiplexes 100 concurrent clients onto at most max_db_connections server connections`, async () => {
    const pools = Array.from({ length: 5 }, () => viaBouncer(20));
    let peak = 0;
    const sample = async () => {
      const [row] = await adminQuery<{ n: string }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND usename = $2',
        [db.name, user],
      );
      peak = Math.max(peak, Number(row!.n));
    };
    try {
      let done = false;
      const work = pools.flatMap((pool) =>
        Array.from({ length: 20 }, async () => {
          const c = await pool.connect();
          try {
            await c.query('BEGIN');
            await c.query('SELECT pg_sleep(0.05)');
            await c.query('COMMIT');
          } finally {
            c.release();
          }
        }),
      );
      // Sample the server side for as long as the clients run.
      const sampling = (async () => {
        while (!done) await sample();
      })();
      await Promise.all(work).finally(() => {
        done = true;
      });
      await sampling;
      expect(pools.reduce((n, p) => n + p.totalCount, 0)).toBe(100);
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(config.maxDbConnections);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('keeps a session-level advisory lock after its client is gone: why the migration Jobs bypass it', async () => {
    const pool = viaBouncer(1);
    const client = await pool.connect();
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`shop:migrations:${suffix}`]);
    client.release();
    await pool.end();
    // The server connection went back to PgBouncer's pool with the lock still held: the next migration
    // run would wait on it forever (transaction mode runs no reset query).
    const held = await adminQuery<{ n: string }>(
      "SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND a.datname = $1",
      [db.name],
    );
    expect(held[0]!.n).toBe('1');
  });
});
