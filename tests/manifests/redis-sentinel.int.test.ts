import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { baseConfigSchema, loadConfig, openRedis, redisOptionsFromConfig } from '@shop/service-kit';
import { eventually, getFreePort } from '@shop/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { combinationRenders, find } from './support/context.js';
import { containerEnv } from './support/k8s-refs.js';
import { type K8sObject, repoRoot } from './support/renders.js';
import type { PodSpec } from './support/workloads.js';

/**
 * The ha-data component's Redis with Sentinel as deployed: the start scripts of its ConfigMap and the
 * environment of its StatefulSet, taken from the production render, run with Debian's redis-server for
 * three "pods" on the loopback addresses 127.0.0.2-4 (free ports of this run; the shared Redis is never
 * touched). Only what differs between a pod and this machine is overridden: the addresses, the ports and
 * the directories. The services' client is the kit's, configured from the render's app-config.
 */
const r = combinationRenders().find((x) => x.id === 'kustomize:production+ha-data')!;
const scripts = (
  find(r.objects, 'ConfigMap', 'redis-node-scripts') as K8sObject & { data: Record<string, string> }
).data;
const statefulSet = find(r.objects, 'StatefulSet', 'redis-node') as K8sObject & {
  spec: { replicas: number; template: { spec: PodSpec } };
};
const appConfig = (find(r.objects, 'ConfigMap', 'app-config') as K8sObject & { data: Record<string, string> })
  .data;
const containerOf = (name: string) => statefulSet.spec.template.spec.containers.find((c) => c.name === name)!;

const bin = /^REDIS_SERVER=(.+)$/m.exec(
  execFileSync('bash', [path.join(repoRoot, 'scripts/ensure-redis-server.sh')], { encoding: 'utf8' }),
)![1]!;
const binDir = path.dirname(bin);
const password = `pw-${randomBytes(6).toString('hex')}`;
const work = mkdtempSync(path.join(tmpdir(), 'shop-redis-sentinel-'));
const nodes = [0, 1, 2].map((i) => ({ name: `redis-node-${i}`, host: `127.0.0.${i + 2}` }));
const processes = new Map<string, ChildProcess>();
let ports: { redis: number; sentinel: number };

/** One container of one "pod": its script with the manifest's env (Secrets filled in) plus the overrides. */
function start(node: (typeof nodes)[number], container: 'redis' | 'sentinel'): void {
  const c = containerOf(container);
  const env: Record<string, string> = {
    ...containerEnv(c, 'data', r.objects),
    PATH: `${binDir}:${process.env.PATH}`,
    POD_NAME: node.name,
    REDIS_PASSWORD: password,
    REDISCLI_AUTH: password,
    REDIS_NODE_HOST: node.host,
    REDIS_NODES: nodes.map((n) => n.host).join(' '),
    REDIS_BIND: node.host,
    REDIS_PORT: String(ports.redis),
    SENTINEL_PORT: String(ports.sentinel),
    REDIS_DATA_DIR: path.join(work, node.name, 'data'),
    SENTINEL_DIR: path.join(work, node.name, 'sentinel'),
  };
  const script = c.command!.at(-1)!.replace('/scripts/', `${path.join(work, 'scripts')}/`);
  // Each process logs to the work directory (printed when a test fails).
  const log = openSync(path.join(work, `${node.name}-${container}.log`), 'a');
  const child = spawn('sh', [script], { env, stdio: ['ignore', log, log] });
  processes.set(`${node.name}/${container}`, child);
}

async function ask<T>(host: string, port: number, command: string[]): Promise<T> {
  const client = new Redis({ host, port, password, maxRetriesPerRequest: 0, connectTimeout: 500 });
  client.on('error', () => {});
  try {
    return (await client.call(command[0]!, ...command.slice(1))) as T;
  } finally {
    client.disconnect();
  }
}
const masterSeenBy = (n: (typeof nodes)[number]) =>
  ask<string[]>(n.host, ports.sentinel, [
    'SENTINEL',
    'get-master-addr-by-name',
    appConfig.REDIS_SENTINEL_NAME!,
  ]).then((a) => a[0]);
const replication = (n: (typeof nodes)[number]) => ask<string>(n.host, ports.redis, ['INFO', 'replication']);
const role = (n: (typeof nodes)[number]) => replication(n).then((info) => /role:(\w+)/.exec(info)?.[1]);
/** A replica whose link to the master is up. */
const inSync = (n: (typeof nodes)[number]) =>
  replication(n).then((info) => info.includes('role:slave') && info.includes('master_link_status:up'));

beforeAll(async () => {
  ports = { redis: await getFreePort(), sentinel: await getFreePort() };
  mkdirSync(path.join(work, 'scripts'));
  for (const [file, text] of Object.entries(scripts)) writeFileSync(path.join(work, 'scripts', file), text);
  for (const n of nodes) {
    mkdirSync(path.join(work, n.name, 'data'), { recursive: true });
    mkdirSync(path.join(work, n.name, 'sentinel'), { recursive: true });
  }
  // All at once, as podManagementPolicy: Parallel starts them.
  for (const n of nodes) {
    start(n, 'redis');
    start(n, 'sentinel');
  }
});

afterEach((context) => {
  if (context.task.result?.state !== 'fail') return;
  for (const file of readdirSync(work).filter((f) => f.endsWith('.log')))
    console.error(
      `--- ${file}\n${readFileSync(path.join(work, file), 'utf8').split('\n').slice(-15).join('\n')}`,
    );
});

afterAll(() => {
  for (const p of processes.values()) p.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('ha-data: Redis with Sentinel from the rendered scripts, run for real', () => {
  it('starts three pods at once with the first as master, two replicas, and Sentinels that agree', async () => {
    expect(statefulSet.spec.replicas).toBe(nodes.length);
    await eventually(async () => (await replication(nodes[0]!)).includes('connected_slaves:2'));
    expect(await role(nodes[0]!)).toBe('master');
    for (const n of nodes.slice(1)) await eventually(() => inSync(n));
    for (const n of nodes) await eventually(async () => (await masterSeenBy(n)) === nodes[0]!.host);
    // Each Sentinel has seen both replicas healthy and in sync (what it needs to pick one to promote).
    for (const n of nodes)
      await eventually(async () => {
        const replicas = await ask<string[][]>(n.host, ports.sentinel, [
          'SENTINEL',
          'REPLICAS',
          appConfig.REDIS_SENTINEL_NAME!,
        ]);
        const fields = replicas.map((r) =>
          Object.fromEntries(r.flatMap((v, i) => (i % 2 ? [] : [[v, r[i + 1]]]))),
        );
        return (
          fields.length === 2 && fields.every((f) => f.flags === 'slave' && f['master-link-status'] === 'ok')
        );
      });
    // Each Sentinel knows the other two (quorum 2 of 3 can promote).
    for (const n of nodes)
      await eventually(
        async () =>
          (
            await ask<unknown[]>(n.host, ports.sentinel, [
              'SENTINEL',
              'SENTINELS',
              appConfig.REDIS_SENTINEL_NAME!,
            ])
          ).length === 2,
      );
  });

  it("the services' client follows a failover when the master dies, and the restarted pod rejoins as a replica", async () => {
    const config = loadConfig(baseConfigSchema, {
      REDIS_PASSWORD: password,
      // The render's app-config, with the Sentinels at this run's addresses.
      REDIS_SENTINELS: nodes.map((n) => `${n.host}:${ports.sentinel}`).join(','),
      REDIS_SENTINEL_NAME: appConfig.REDIS_SENTINEL_NAME,
    });
    expect(appConfig.REDIS_SENTINELS).toMatch(/:26379$/);
    const client = openRedis(redisOptionsFromConfig(config), { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    try {
      await client.set('ha-data:before', 'kill');
      // Replication is asynchronous: wait until a replica has the write, as a caller that needs it would.
      expect(await client.call('WAIT', '1', '2000')).toBeGreaterThanOrEqual(1);
      processes.get('redis-node-0/redis')!.kill('SIGKILL');
      // down-after-milliseconds (5 s), then the Sentinels elect and promote a replica.
      const promoted = await eventually(async () => {
        const m = await masterSeenBy(nodes[1]!);
        return m && m !== nodes[0]!.host ? m : undefined;
      });
      await eventually(async () => (await client.set('ha-data:after', 'failover')) === 'OK');
      expect(await client.get('ha-data:before')).toBe('kill');
      const served = ((await client.call('CONFIG', 'GET', 'bind')) as string[])[1];
      expect(served).toBe(promoted);
      // The pod restarts (same script): it asks the Sentinels and replicates the new master.
      start(nodes[0]!, 'redis');
      await eventually(() => inSync(nodes[0]!));
      expect(await replication(nodes[0]!)).toContain(`master_host:${promoted}`);
    } finally {
      client.disconnect();
    }
  });
});
