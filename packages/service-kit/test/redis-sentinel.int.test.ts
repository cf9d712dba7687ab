import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, getFreePort } from '@shop/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfigSchema, bootstrapService, createRedis, redisOptionsFromConfig } from '../src/index.js';

/**
 * The kit's Sentinel support against real processes: a Redis master, a replica and a Sentinel
 * (Debian's redis-server; scripts/ensure-redis-server.sh installs it), all on loopback ports of their
 * own. The client finds the master through the Sentinel, and after a failover writes to the promoted
 * replica without a restart.
 */
const bin = (() => {
  try {
    return execFileSync(
      'bash',
      [path.resolve(import.meta.dirname, '../../../scripts/ensure-redis-server.sh')],
      {
        encoding: 'utf8',
      },
    )
      .trim()
      .split('=')[1]!;
  } catch (error) {
    throw new Error(`redis-server is needed for this test: ${(error as Error).message}`);
  }
})();

const password = `pw-${randomBytes(6).toString('hex')}`;
const sentinelPassword = `spw-${randomBytes(6).toString('hex')}`;
const masterName = `shop-${randomBytes(3).toString('hex')}`;
const work = mkdtempSync(path.join(tmpdir(), 'kit-sentinel-'));
const processes: ChildProcess[] = [];
let ports: { master: number; replica: number; sentinel: number };

function start(args: string[]): void {
  const child = spawn(bin, args, { stdio: 'ignore' });
  processes.push(child);
}

function direct(port: number, auth = password): Redis {
  const client = new Redis({ host: '127.0.0.1', port, password: auth, maxRetriesPerRequest: 0 });
  // Refused while the process is still starting: `eventually` retries.
  client.on('error', () => {});
  return client;
}

beforeAll(async () => {
  ports = { master: await getFreePort(), replica: await getFreePort(), sentinel: await getFreePort() };
  const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', password];
  start(['--port', String(ports.master), '--dir', work, ...common, '--masterauth', password]);
  start([
    '--port',
    String(ports.replica),
    '--dir',
    work,
    ...common,
    '--masterauth',
    password,
    '--replicaof',
    '127.0.0.1',
    String(ports.master),
  ]);
  // Sentinel rewrites its config file as it learns the topology: a file of its own.
  const conf = path.join(work, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${ports.sentinel}`,
      'bind 127.0.0.1',
      `requirepass ${sentinelPassword}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${ports.master} 1`,
      `sentinel auth-pass ${masterName} ${password}`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 5000`,
      '',
    ].join('\n'),
  );
  start([conf, '--sentinel']);
  // The replica in sync and known to the Sentinel.
  await eventually(async () => {
    const r = direct(ports.replica);
    try {
      return (await r.info('replication')).includes('master_link_status:up');
    } finally {
      r.disconnect();
    }
  });
  await eventually(async () => {
    const s = direct(ports.sentinel, sentinelPassword);
    try {
      const replicas = (await s.call('SENTINEL', 'REPLICAS', masterName)) as unknown[];
      return replicas.length === 1;
    } finally {
      s.disconnect();
    }
  });
});

afterAll(() => {
  for (const p of processes) p.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('Redis through Sentinel (REDIS_SENTINELS)', () => {
  it('parses the Sentinels and rejects a malformed list with the key named', () => {
    const env = { LOG_LEVEL: 'silent', REDIS_SENTINELS: 'a.example:26379, b.example:26380' };
    const { config } = bootstrapService({
      name: 'demo',
      version: '0.0.1',
      configSchema: baseConfigSchema,
      env,
      installSignalHandlers: false,
      kitOptions: { exit: () => {}, flushTelemetryOnShutdown: false },
    });
    expect(config.REDIS_SENTINELS).toEqual([
      { host: 'a.example', port: 26379 },
      { host: 'b.example', port: 26380 },
    ]);
    expect(() =>
      bootstrapService({
        name: 'demo',
        version: '0.0.1',
        configSchema: baseConfigSchema,
        env: { ...env, REDIS_SENTINELS: 'a.example' },
        installSignalHandlers: false,
      }),
    ).toThrow(/REDIS_SENTINELS: expected host:port/);
  });

  it('finds the master through the Sentinel and keeps writing to the promoted replica after a failover', async () => {
    const { config, kit } = bootstrapService({
      name: 'demo',
      version: '0.0.1',
      configSchema: baseConfigSchema,
      env: {
        LOG_LEVEL: 'silent',
        // REDIS_HOST/PORT point nowhere on purpose: with Sentinels they are not used.
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: '1',
        REDIS_DB: '3',
        REDIS_PASSWORD: password,
        REDIS_SENTINELS: `127.0.0.1:${ports.sentinel}`,
        REDIS_SENTINEL_NAME: masterName,
        REDIS_SENTINEL_PASSWORD: sentinelPassword,
        REDIS_KEY_PREFIX: 'sentinel-test:',
      },
      installSignalHandlers: false,
      kitOptions: { exit: () => {}, flushTelemetryOnShutdown: false },
    });
    const redis = createRedis(kit, redisOptionsFromConfig(config));
    const servedBy = async () => Number(((await redis.call('CONFIG', 'GET', 'port')) as string[])[1]);
    try {
      await redis.set('before', 'failover');
      // Replication is asynchronous: wait until the replica acknowledged the write, or a failover right
      // after it may promote a replica that never saw it (Sentinel makes no promise about that write).
      expect(await redis.call('WAIT', '1', '5000')).toBe(1);
      expect(await servedBy()).toBe(ports.master);
      expect(((await redis.call('CLIENT', 'INFO')) as string).includes(' db=3 ')).toBe(true);
      expect((await kit.readiness.report()).checks.redis).toMatchObject({ status: 'up' });

      const sentinel = direct(ports.sentinel, sentinelPassword);
      try {
        // A replica the Sentinel has just listed may not count as promotable yet (its INFO not refreshed
        // recently enough): FAILOVER answers NOGOODSLAVE then, so ask again, bounded (20 s).
        expect(
          await eventually(async () => (await sentinel.call('SENTINEL', 'FAILOVER', masterName)) as string, {
            attempts: 200,
            intervalMs: 100,
          }),
        ).toBe('OK');
      } finally {
        sentinel.disconnect();
      }
      // Writes succeed again once ioredis has asked the Sentinel for the new master.
      await eventually(async () => {
        await redis.set('after', 'failover');
        return (await servedBy()) === ports.replica;
      });
      expect(await redis.get('before')).toBe('failover');
      expect(await redis.get('after')).toBe('failover');
      const formerMaster = direct(ports.master);
      try {
        await eventually(async () => (await formerMaster.info('replication')).includes('role:slave'));
      } finally {
        formerMaster.disconnect();
      }
      expect((await kit.readiness.report()).checks.redis).toMatchObject({ status: 'up' });
    } finally {
      await kit.shutdown('test finished');
    }
  });
});
