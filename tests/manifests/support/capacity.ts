import { containerEnv, podSpecOf, serviceHosts } from './k8s-refs.js';
import type { K8sObject } from './renders.js';
import { type Container, quantity, resolveIntOrPercent, selects } from './workloads.js';

/**
 * What a render needs at its worst moment, computed from the render alone: pods and resources at the
 * HPA maxima against each namespace's ResourceQuota/LimitRange, and database connections at the HPA
 * maxima against PgBouncer and PostgreSQL. Functions over a list of objects, so any overlay, component
 * combination or chart/values render can be checked the same way.
 */

const nsOf = (o: K8sObject, ns: string) => o.metadata.namespace ?? ns;

/** The HPA scaling a workload, if any. */
function hpaFor(objects: K8sObject[], o: K8sObject, ns: string) {
  return objects.find(
    (h) =>
      h.kind === 'HorizontalPodAutoscaler' &&
      nsOf(h, ns) === nsOf(o, ns) &&
      (h.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef.kind === o.kind &&
      (h.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name === o.metadata.name,
  ) as (K8sObject & { spec: { minReplicas?: number; maxReplicas: number } }) | undefined;
}

export interface PodCount {
  object: K8sObject;
  /** Pods while serving at the HPA maximum (or the fixed replica count). */
  steady: number;
  /** Extra pods of a rolling update at that size (maxSurge). */
  surge: number;
  /** Pods of Jobs (migration hooks). */
  jobs: number;
  /** Bare pods (helm test hooks). */
  tests: number;
}

/** How many pods each workload of a render runs at most. DaemonSets have no count (one per node). */
export function podCounts(objects: K8sObject[], ns: string): PodCount[] {
  const counts: PodCount[] = [];
  for (const o of objects) {
    if (!podSpecOf(o) || o.kind === 'DaemonSet') continue;
    const spec = o.spec as {
      replicas?: number;
      parallelism?: number;
      strategy?: {
        type?: string;
        rollingUpdate?: { maxSurge?: number | string };
        // Argo Rollouts
        canary?: { maxSurge?: number | string };
        blueGreen?: { previewReplicaCount?: number };
      };
    };
    if (o.kind === 'Job' || o.kind === 'CronJob') {
      counts.push({ object: o, steady: 0, surge: 0, jobs: spec.parallelism ?? 1, tests: 0 });
    } else if (o.kind === 'Pod') {
      counts.push({ object: o, steady: 0, surge: 0, jobs: 0, tests: 1 });
    } else {
      const steady = hpaFor(objects, o, ns)?.spec.maxReplicas ?? spec.replicas ?? 1;
      // Deployments (and Deployment-like CRDs) surge during a rolling update; StatefulSets replace in
      // place; a blue-green Rollout runs a whole second ReplicaSet: a preview-sized one
      // (previewReplicaCount) is scaled to full size before the switch, and the old one stays for
      // scaleDownDelaySeconds after it. A workload held at zero (a Deployment a Rollout runs) surges not.
      const rolling = o.kind !== 'StatefulSet' && spec.strategy?.type !== 'Recreate';
      const blueGreen = spec.strategy?.blueGreen;
      const maxSurge = spec.strategy?.rollingUpdate?.maxSurge ?? spec.strategy?.canary?.maxSurge ?? '25%';
      let surge = rolling && steady > 0 ? resolveIntOrPercent(maxSurge, steady) : 0;
      if (blueGreen) surge = steady;
      counts.push({ object: o, steady, surge, jobs: 0, tests: 0 });
    }
  }
  return counts;
}

type Resources = Record<'requests.cpu' | 'requests.memory' | 'limits.cpu' | 'limits.memory', number>;
const RESOURCE_KEYS = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'] as const;

interface LimitRangeItem {
  type: string;
  default?: Record<string, string>;
  defaultRequest?: Record<string, string>;
  max?: Record<string, string>;
  min?: Record<string, string>;
}
const limitRanges = (objects: K8sObject[], namespace: string, ns: string) =>
  objects
    .filter((o) => o.kind === 'LimitRange' && nsOf(o, ns) === namespace)
    .flatMap((o) => (o.spec as { limits: LimitRangeItem[] }).limits)
    .filter((l) => l.type === 'Container');

/** A container's requests/limits after the LimitRange defaults, as the admission plugin fills them. */
function containerResources(c: Container, ranges: LimitRangeItem[]): Resources {
  const pick = (kind: 'requests' | 'limits', key: 'cpu' | 'memory') => {
    const own = c.resources?.[kind]?.[key];
    if (own !== undefined) return quantity(own);
    const fallback = ranges.find((r) => (kind === 'limits' ? r.default : r.defaultRequest)?.[key]);
    const value = kind === 'limits' ? fallback?.default?.[key] : fallback?.defaultRequest?.[key];
    // A request defaults to the limit when only the limit is set.
    if (value === undefined && kind === 'requests' && c.resources?.limits?.[key] !== undefined)
      return quantity(c.resources.limits[key]);
    return value === undefined ? 0 : quantity(value);
  };
  return {
    'requests.cpu': pick('requests', 'cpu'),
    'requests.memory': pick('requests', 'memory'),
    'limits.cpu': pick('limits', 'cpu'),
    'limits.memory': pick('limits', 'memory'),
  };
}

/** A pod's effective resources for quota: the larger of its containers' sum and its largest init container. */
function podResources(o: K8sObject, ranges: LimitRangeItem[]): Resources {
  const spec = podSpecOf(o)!;
  const sum = Object.fromEntries(RESOURCE_KEYS.map((k) => [k, 0])) as Resources;
  for (const c of spec.containers) {
    const r = containerResources(c, ranges);
    for (const k of RESOURCE_KEYS) sum[k] += r[k];
  }
  for (const c of spec.initContainers ?? []) {
    const r = containerResources(c, ranges);
    for (const k of RESOURCE_KEYS) sum[k] = Math.max(sum[k], r[k]);
  }
  return sum;
}

export interface QuotaReport {
  namespace: string;
  /** Peak use per quota key: serving pods at the HPA maxima plus the largest of surge, Jobs, tests. */
  used: Record<string, number>;
  hard: Record<string, number>;
  /** `requests.cpu: 25.4 > 24`, one per key over its quota, and containers outside the LimitRange. */
  problems: string[];
}

/** Each ResourceQuota of a render against the worst moment of its namespace. */
export function quotaReports(objects: K8sObject[], ns: string): QuotaReport[] {
  return objects
    .filter((o) => o.kind === 'ResourceQuota')
    .map((quota) => {
      const namespace = nsOf(quota, ns);
      const ranges = limitRanges(objects, namespace, ns);
      const hard = Object.fromEntries(
        Object.entries((quota.spec as { hard: Record<string, string> }).hard).map(([k, v]) => [
          k,
          quantity(v),
        ]),
      );
      const problems: string[] = [];
      const counts = podCounts(objects, ns).filter((c) => nsOf(c.object, ns) === namespace);
      const daemonSets = objects.filter((o) => o.kind === 'DaemonSet' && nsOf(o, ns) === namespace);
      for (const d of daemonSets)
        problems.push(`DaemonSet ${d.metadata.name}: one pod per node cannot be budgeted`);
      const total = (n: (c: PodCount) => number) => {
        const t: Record<string, number> = {
          pods: 0,
          ...Object.fromEntries(RESOURCE_KEYS.map((k) => [k, 0])),
        };
        for (const c of counts) {
          const pods = n(c);
          if (pods === 0) continue;
          t.pods! += pods;
          const r = podResources(c.object, ranges);
          for (const k of RESOURCE_KEYS) t[k]! += pods * r[k];
        }
        return t;
      };
      const steady = total((c) => c.steady);
      // Migration hooks finish before a rollout adds its surge pods (ArgoCD waves, Helm pre-upgrade), and
      // helm test runs after both: the peak is the serving pods plus the largest of the three.
      const extras = [total((c) => c.surge), total((c) => c.jobs), total((c) => c.tests)];
      const used: Record<string, number> = {};
      for (const k of Object.keys(steady)) used[k] = steady[k]! + Math.max(...extras.map((e) => e[k]!));
      used.services = objects.filter((o) => o.kind === 'Service' && nsOf(o, ns) === namespace).length;
      used.persistentvolumeclaims =
        objects.filter((o) => o.kind === 'PersistentVolumeClaim' && nsOf(o, ns) === namespace).length +
        counts.reduce(
          (n, c) =>
            n +
            c.steady *
              ((c.object.spec as { volumeClaimTemplates?: unknown[] }).volumeClaimTemplates?.length ?? 0),
          0,
        );
      for (const [k, limit] of Object.entries(hard))
        if (k in used && used[k]! > limit + 1e-9) problems.push(`${k}: ${round(used[k]!)} > ${round(limit)}`);
      for (const c of counts)
        for (const container of [
          ...podSpecOf(c.object)!.containers,
          ...(podSpecOf(c.object)!.initContainers ?? []),
        ])
          for (const range of ranges)
            for (const key of ['cpu', 'memory'] as const) {
              const r = containerResources(container, [range]);
              const at = `${c.object.kind}/${c.object.metadata.name}/${container.name}`;
              if (range.max?.[key] && r[`limits.${key}`] > quantity(range.max[key]))
                problems.push(`${at}: limits.${key} above the LimitRange max ${range.max[key]}`);
              if (range.min?.[key] && r[`requests.${key}`] < quantity(range.min[key]))
                problems.push(`${at}: requests.${key} below the LimitRange min ${range.min[key]}`);
            }
      return { namespace, used, hard, problems };
    });
}

const round = (n: number) =>
  n >= 2 ** 20 ? `${(n / 2 ** 30).toFixed(2)}Gi` : `${Math.round(n * 100) / 100}`;
export const formatQuantity = round;

// ---------------------------------------------------------------------------------------------------
// Database connections

/** Connections a client pod opens at most. */
function poolSize(c: Container, env: Record<string, string>, kind: string): number {
  // The migration runner (`node dist/migrate.js`) opens one connection for its advisory lock.
  if ((c.command ?? []).join(' ').includes('migrate')) return 1;
  if (env.DB_POOL_SIZE !== undefined) return Number(env.DB_POOL_SIZE);
  // The kit's default DB_POOL_SIZE (packages/service-kit config): 20.
  return kind === 'Job' ? 1 : 20;
}

/** PgBouncer's settings, from the pgbouncer.ini of its ConfigMap. */
export interface PoolerConfig {
  poolMode: string;
  maxClientConn: number;
  defaultPoolSize: number;
  reservePoolSize: number;
  maxDbConnections: number;
  /** `host:port` of each [databases] entry. */
  servers: Array<{ host: string; port: number }>;
}

export function parsePgbouncerIni(text: string): PoolerConfig {
  const sections: Record<string, Record<string, string>> = {};
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#') || line.startsWith('%')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = section[1]!;
      sections[current] = {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) sections[current]![line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  const p = sections.pgbouncer ?? {};
  const num = (key: string, fallback: number) => (p[key] !== undefined ? Number(p[key]) : fallback);
  const servers = Object.values(sections.databases ?? {}).map((conn) => {
    const kv = Object.fromEntries(conn.split(/\s+/).map((pair) => pair.split('=') as [string, string]));
    return { host: kv.host ?? '', port: Number(kv.port ?? 5432) };
  });
  return {
    // PgBouncer's own defaults where the file is silent.
    poolMode: p.pool_mode ?? 'session',
    maxClientConn: num('max_client_conn', 100),
    defaultPoolSize: num('default_pool_size', 20),
    reservePoolSize: num('reserve_pool_size', 0),
    maxDbConnections: num('max_db_connections', 0),
    servers,
  };
}

/** PostgreSQL's limits, from the server's command-line settings (`-c max_connections=…`). */
function postgresSettings(c: Container): { maxConnections: number; superuserReserved: number } {
  const args = [...(c.command ?? []), ...((c as { args?: string[] }).args ?? [])].join(' ');
  const setting = (name: string, fallback: number) =>
    Number(new RegExp(`${name}=(\\d+)`).exec(args)?.[1] ?? fallback);
  return {
    maxConnections: setting('max_connections', 100),
    superuserReserved: setting('superuser_reserved_connections', 3),
  };
}

/** Headroom kept at PostgreSQL for a person with psql, a backup, a one-off script. */
export const ADMIN_RESERVE = 10;

export interface Demand {
  who: string;
  connections: number;
}
export interface Hop {
  name: string;
  demand: Demand[];
  total: number;
  capacity: number;
}
export interface BudgetReport {
  hops: Hop[];
  problems: string[];
}

interface Backend {
  service: K8sObject;
  workload: K8sObject;
  objects: K8sObject[];
  ns: string;
}

/**
 * Σ client pods at the HPA maxima (+ surge) × their pool size, the migration Jobs and the exporters,
 * hop by hop: clients → PgBouncer (per replica: one replica must take everyone) and PgBouncer →
 * PostgreSQL ((replicas + surge) × its server-connection cap + the direct clients + reserves).
 * `external` are the renders that provide a data tier this render only points at.
 */
export function connectionBudget(
  objects: K8sObject[],
  ns: string,
  external: K8sObject[][] = [],
): BudgetReport {
  const problems: string[] = [];
  const pools = [objects, ...external];
  const backendOf = (host: { name: string; namespace: string }): Backend | undefined => {
    for (const list of pools) {
      const service = list.find(
        (o) => o.kind === 'Service' && o.metadata.name === host.name && nsOf(o, ns) === host.namespace,
      );
      const selector = (service?.spec as { selector?: Record<string, string> } | undefined)?.selector;
      if (!service || !selector) continue;
      const workload = list.find(
        (o) =>
          ['Deployment', 'StatefulSet'].includes(o.kind) &&
          nsOf(o, ns) === host.namespace &&
          selects(
            { matchLabels: selector },
            (o.spec as { template: { metadata?: { labels?: Record<string, string> } } }).template.metadata
              ?.labels ?? {},
          ),
      );
      if (workload) return { service, workload, objects: list, ns };
    }
    return undefined;
  };
  const isPooler = (b: Backend) =>
    podSpecOf(b.workload)!.containers.some((c) => (c.command ?? []).some((x) => x.includes('pgbouncer')));
  const iniOf = (b: Backend): PoolerConfig | undefined => {
    const spec = podSpecOf(b.workload)!;
    for (const v of (spec.volumes ?? []) as Array<{ configMap?: { name: string } }>) {
      const cm = b.objects.find(
        (o) =>
          o.kind === 'ConfigMap' &&
          o.metadata.name === v.configMap?.name &&
          nsOf(o, ns) === nsOf(b.workload, ns),
      ) as (K8sObject & { data?: Record<string, string> }) | undefined;
      if (cm?.data?.['pgbouncer.ini']) return parsePgbouncerIni(cm.data['pgbouncer.ini']);
    }
    return undefined;
  };

  // ConfigMaps the render only references (a service chart's app-config) come from the external renders.
  const envObjects = [...objects, ...external.flat()];
  // Every database client of this render, by the host it connects to.
  const clients = new Map<string, { backend: Backend; demand: Demand[] }>();
  for (const count of podCounts(objects, ns)) {
    const spec = podSpecOf(count.object)!;
    for (const c of spec.containers) {
      const env = containerEnv(c, nsOf(count.object, ns), envObjects);
      const target = serviceHosts(env.DB_HOST ?? env.DATABASE_URL ?? '')[0];
      if (!target) continue;
      const backend = backendOf(target);
      if (!backend) {
        problems.push(
          `${count.object.kind}/${count.object.metadata.name}: DB_HOST ${env.DB_HOST} is no Service of this or the external renders`,
        );
        continue;
      }
      if ((c.command ?? []).join(' ').includes('migrate') && isPooler(backend))
        problems.push(
          `${count.object.kind}/${count.object.metadata.name}: migrations hold a session-level advisory lock; connect them to PostgreSQL, not through ${backend.service.metadata.name}`,
        );
      const pods = count.steady + count.surge + count.jobs + count.tests;
      const key = `${backend.service.metadata.namespace}/${backend.service.metadata.name}`;
      const entry = clients.get(key) ?? { backend, demand: [] };
      entry.demand.push({
        who: `${count.object.kind}/${count.object.metadata.name} ${pods} pods × ${poolSize(c, env, count.object.kind)}`,
        connections: pods * poolSize(c, env, count.object.kind),
      });
      clients.set(key, entry);
    }
  }

  const hops: Hop[] = [];
  const postgresDemand = new Map<string, { backend: Backend; demand: Demand[] }>();
  const addPostgres = (backend: Backend, demand: Demand[]) => {
    const key = `${nsOf(backend.service, ns)}/${backend.service.metadata.name}`;
    const entry = postgresDemand.get(key) ?? { backend, demand: [] };
    entry.demand.push(...demand);
    postgresDemand.set(key, entry);
  };
  for (const { backend, demand } of clients.values()) {
    if (!isPooler(backend)) {
      addPostgres(backend, demand);
      continue;
    }
    const ini = iniOf(backend);
    if (!ini) {
      problems.push(`${backend.workload.metadata.name}: no pgbouncer.ini in its ConfigMaps`);
      continue;
    }
    if (ini.poolMode !== 'transaction')
      problems.push(
        `${backend.workload.metadata.name}: pool_mode ${ini.poolMode} (transaction pooling is what bounds the server connections)`,
      );
    // The exporter next to each PgBouncer holds one client connection to its admin console.
    const [pooler] = podCounts([backend.workload], ns);
    const poolerPods = pooler!.steady + pooler!.surge;
    const exporters = podSpecOf(backend.workload)!.containers.filter((c) =>
      [...(c.command ?? []), ...((c as { args?: string[] }).args ?? [])].some((a) =>
        a.includes('/pgbouncer?'),
      ),
    ).length;
    const clientDemand = [
      ...demand,
      ...(exporters ? [{ who: `${backend.workload.metadata.name} exporter`, connections: exporters }] : []),
    ];
    const total = clientDemand.reduce((n, d) => n + d.connections, 0);
    hops.push({
      name: `clients → ${backend.service.metadata.name}.${nsOf(backend.service, ns)} (max_client_conn of one replica)`,
      demand: clientDemand,
      total,
      capacity: ini.maxClientConn,
    });
    // Server side: each replica opens at most max_db_connections (or pool + reserve) per database.
    const perReplica =
      ini.maxDbConnections > 0
        ? Math.min(ini.maxDbConnections, ini.defaultPoolSize + ini.reservePoolSize)
        : ini.defaultPoolSize + ini.reservePoolSize;
    for (const server of ini.servers) {
      const host = serviceHosts(server.host)[0];
      const target = host && backendOf(host);
      if (!target) {
        problems.push(`${backend.workload.metadata.name}: server ${server.host} is no Service`);
        continue;
      }
      addPostgres(target, [
        {
          who: `${backend.workload.metadata.name} ${poolerPods} pods × ${perReplica} server connections`,
          connections: poolerPods * perReplica,
        },
      ]);
    }
  }
  for (const { backend, demand } of postgresDemand.values()) {
    const container =
      podSpecOf(backend.workload)!.containers.find((c) => c.name === 'postgresql') ??
      podSpecOf(backend.workload)!.containers[0]!;
    const settings = postgresSettings(container);
    // Exporters inside the PostgreSQL pod connect over 127.0.0.1.
    const exporters = podSpecOf(backend.workload)!.containers.filter((c) =>
      Object.values(containerEnv(c, nsOf(backend.workload, ns), backend.objects)).some((v) =>
        /127\.0\.0\.1:5432/.test(v),
      ),
    ).length;
    const all: Demand[] = [
      ...demand,
      ...(exporters ? [{ who: 'postgres-exporter', connections: exporters }] : []),
      { who: 'superuser_reserved_connections', connections: settings.superuserReserved },
      { who: 'admin reserve', connections: ADMIN_RESERVE },
    ];
    hops.push({
      name: `→ ${backend.service.metadata.name}.${nsOf(backend.service, ns)} (max_connections)`,
      demand: all,
      total: all.reduce((n, d) => n + d.connections, 0),
      capacity: settings.maxConnections,
    });
  }
  for (const hop of hops)
    if (hop.total > hop.capacity) problems.push(`${hop.name}: ${hop.total} > ${hop.capacity}`);
  return { hops, problems };
}
