import { describe, expect, it } from 'vitest';
import { HELM_PARITY_SETS } from './support/combinations.js';
import { combinationRenders, find, renderById, tools } from './support/context.js';
import { SERVICE_NAMES } from './support/design-table.js';
import { helmTemplateArgs, type K8sObject, objectId, parseObjects, runTool } from './support/renders.js';

/**
 * Helm and Kustomize must deploy the same thing for the same environment: the Helm defaults match
 * k8s/base, the Helm production values match k8s/overlays/production, every service chart matches its
 * service's objects. Every kind both render is compared object by object (same kind, namespace and
 * name), whole objects but for what the tools add on purpose: Helm's release labels and hook
 * annotations, ArgoCD's sync annotations, and image tags (release inputs: CI bumps the overlays,
 * `--set image.tag=` the charts). What differs on purpose is listed in INTENDED, each with its reason.
 */
const PAIRS: Array<[helm: string, kustomize: string]> = [
  ['helm:shop:default', 'kustomize:base'],
  ['helm:shop:production', 'kustomize:production'],
  ...SERVICE_NAMES.flatMap(
    (svc): Array<[string, string]> => [
      [`helm:${svc}:default`, 'kustomize:base'],
      [`helm:${svc}:production`, 'kustomize:production'],
    ],
  ),
];

const HELM_LABELS = ['app.kubernetes.io/instance', 'app.kubernetes.io/managed-by', 'helm.sh/chart'];
const TOOL_ANNOTATION = /^(helm\.sh|argocd\.argoproj\.io)\//;

/** The object as both tools should produce it: tool metadata and image tags removed. */
export function comparable(object: K8sObject): unknown {
  const { labels, annotations, name, namespace } = object.metadata;
  const keepLabels = Object.fromEntries(
    Object.entries(labels ?? {}).filter(([k]) => !HELM_LABELS.includes(k)),
  );
  const keepAnnotations = Object.fromEntries(
    Object.entries(annotations ?? {}).filter(([k]) => !TOOL_ANNOTATION.test(k)),
  );
  const metadata = {
    name,
    ...(namespace ? { namespace } : {}),
    ...(Object.keys(keepLabels).length ? { labels: keepLabels } : {}),
    ...(Object.keys(keepAnnotations).length ? { annotations: keepAnnotations } : {}),
  };
  return JSON.parse(JSON.stringify({ ...object, metadata }), (key, value) =>
    key === 'image' && typeof value === 'string' ? value.replace(/:[^:/@]+$/, '') : value,
  );
}

interface Difference {
  /** Render ids of the Helm side this applies to (regular expression). */
  helm: RegExp;
  /** `Kind/namespace/name` (regular expression). */
  object: RegExp;
  /** Present on one side only, or the JSON paths that differ. */
  only?: 'helm' | 'kustomize';
  paths?: string[];
  reason: string;
}

/** The documented, minimal list of intended differences (helm/README.md repeats it). */
export const INTENDED: Difference[] = [
  {
    helm: /^helm:shop:default$/,
    object: /^(ConfigMap\/microservices\/app-config)$/,
    paths: ['data.DB_HOST', 'data.REDIS_HOST'],
    reason: 'the default install bundles PgBouncer and Redis in the release namespace',
  },
  {
    helm: /^helm:shop:default$/,
    object: /^Secret\//,
    only: 'helm',
    reason: 'the default install generates its Secrets (k8s/base has none; the overlays bring them)',
  },
  {
    helm: /^helm:shop:default$/,
    object:
      /\/microservices\/(postgresql|postgresql-headless|redis|redis-headless|pgbouncer|pgbouncer-config|pgbouncer-pdb|data-services-monitor)$/,
    only: 'helm',
    reason: 'the default install bundles the data tier in the release namespace (k8s: namespace data)',
  },
  {
    helm: /^helm:shop:(default|production)$/,
    object: /\/data\//,
    only: 'kustomize',
    reason:
      'the data tier (namespace data) is not part of the Helm release: bundled in the release namespace by default, external in production',
  },
  {
    helm: /^helm:shop:default$/,
    object: /^NetworkPolicy\/microservices\/.*-service$/,
    paths: ['spec.egress'],
    reason: 'the default install reaches PgBouncer and Redis in its own namespace, not in `data`',
  },
  {
    helm: /^helm:shop:default$/,
    object: /^NetworkPolicy\/microservices\/.*-service-migrate$/,
    paths: ['spec.egress'],
    reason: 'the default install reaches PostgreSQL in its own namespace, not in `data`',
  },
  {
    helm: /^helm:shop:default$/,
    object: /^Job\/microservices\/.*-migrate$/,
    paths: ['spec.template.spec.containers.0.env.1.value'],
    reason: 'DB_HOST: the bundled PostgreSQL in the release namespace',
  },
  {
    helm: /^helm:/,
    object: /^ServiceMonitor\/microservices\/(microservices-monitor|(user|product|order|payment)-service)$/,
    reason:
      'Kustomize scrapes the four services with one ServiceMonitor; each chart brings its own so it installs alone',
  },
  {
    helm: /^helm:/,
    object: /^Namespace\//,
    only: 'kustomize',
    reason:
      'Helm installs into a namespace made by `--create-namespace`; the other namespaces come from their operators',
  },
  {
    helm: /^helm:/,
    object: /^(Role|RoleBinding)\/microservices\/shop-viewer$/,
    only: 'kustomize',
    reason: "the developers' read-only Role is cluster administration, not part of the application release",
  },
  {
    helm: /^helm:(user|product|order|payment)-service:/,
    object: /./,
    only: 'kustomize',
    reason:
      'a service chart installs one service; the shared and platform objects come from the umbrella or the overlays',
  },
  {
    helm: /^helm:(shop|storefront):/,
    object: /^NetworkPolicy\/microservices\/storefront-test$/,
    only: 'helm',
    reason: "the policy of the storefront's `helm test` pod is a test hook like the pod itself",
  },
  {
    helm: /^helm:shop:production$/,
    object: /^(ClusterSecretStore|ExternalSecret)\//,
    only: 'kustomize',
    reason:
      'Helm production values expect the Secrets to exist (External Secrets or Sealed Secrets, set up outside the release)',
  },
];

const key = (o: K8sObject) => objectId(o);

function diffPaths(a: unknown, b: unknown, at = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k),
    );
  }
  return [at];
}

/** Every difference between the two renders, for the kinds both render. */
export function parityDifferences(
  helmId: string,
  helmObjects: K8sObject[],
  kustomizeObjects: K8sObject[],
): string[] {
  const kinds = new Set(
    helmObjects.map((o) => o.kind).filter((k) => kustomizeObjects.some((o) => o.kind === k)),
  );
  const helm = new Map(helmObjects.filter((o) => kinds.has(o.kind)).map((o) => [key(o), o]));
  const kust = new Map(kustomizeObjects.filter((o) => kinds.has(o.kind)).map((o) => [key(o), o]));
  const intended = (id: string, only?: 'helm' | 'kustomize', path?: string) =>
    INTENDED.some(
      (d) =>
        d.helm.test(helmId) &&
        d.object.test(id) &&
        (d.only === undefined || d.only === only) &&
        (path === undefined
          ? d.paths === undefined
          : d.paths === undefined || d.paths.some((p) => path === p || path.startsWith(`${p}.`))),
    );
  const problems: string[] = [];
  for (const [id] of helm) if (!kust.has(id) && !intended(id, 'helm')) problems.push(`${id}: only in Helm`);
  for (const [id] of kust)
    if (!helm.has(id) && !intended(id, 'kustomize')) problems.push(`${id}: only in Kustomize`);
  for (const [id, h] of helm) {
    const k = kust.get(id);
    if (!k) continue;
    for (const p of diffPaths(comparable(h), comparable(k)))
      if (!intended(id, undefined, p)) problems.push(`${id}: ${p} differs`);
  }
  return problems;
}

describe('Helm and Kustomize render the same objects for every kind both render', () => {
  it.each(PAIRS)('%s vs %s', (helmId, kustomizeId) => {
    const helmObjects = renderById(helmId).objects;
    let kustomizeObjects = renderById(kustomizeId).objects;
    // A service chart is compared with that service's objects only.
    const svc = /^helm:(\w+-service):/.exec(helmId)?.[1];
    if (svc)
      kustomizeObjects = kustomizeObjects.filter(
        (o) => o.metadata.labels?.['app.kubernetes.io/name'] === svc || o.metadata.name.startsWith(`${svc}`),
      );
    expect(parityDifferences(helmId, helmObjects, kustomizeObjects)).toEqual([]);
  });

  it('the comparison sees a difference in a nested field, and each intended difference is used', () => {
    const a = find(renderById('kustomize:base').objects, 'Deployment', 'order-service')!;
    const b = structuredClone(a) as K8sObject & {
      spec: { template: { spec: { containers: Array<{ readinessProbe: { periodSeconds: number } }> } } };
    };
    b.spec.template.spec.containers[0]!.readinessProbe.periodSeconds += 1;
    expect(parityDifferences('helm:shop:default', [b], [a])).toEqual([
      'Deployment/microservices/order-service: spec.template.spec.containers.0.readinessProbe.periodSeconds differs',
    ]);
  });
});

/**
 * The optional components the umbrella chart has values for: `global.istio.enabled` and `vpa.enabled` on
 * the production values against the production overlay with k8s/components/istio and vpa, every kind both
 * render, with the same intended differences (the charts' own ServiceMonitors, the Namespaces).
 */
describe('Helm values for the optional components render what the Kustomize components do', () => {
  it.each(HELM_PARITY_SETS.map((set) => [set.join('+'), set] as const))(
    'helm shop production --set %s vs the production overlay with those components',
    async (_name, set) => {
      const sets = set.flatMap((c) => [
        '--set',
        c === 'istio' ? 'global.istio.enabled=true' : `${c}.enabled=true`,
      ]);
      const helm = parseObjects(
        await runTool(tools().helm, helmTemplateArgs('shop', ['values-production.yaml'], sets)),
        `helm shop ${set}`,
      );
      const kustomize = combinationRenders().find(
        (r) => r.environment === 'production' && r.components.join() === set.join(),
      )!;
      const kinds = [
        'DestinationRule',
        'VirtualService',
        'PeerAuthentication',
        'AuthorizationPolicy',
        'VerticalPodAutoscaler',
      ];
      expect(helm.filter((o) => kinds.includes(o.kind)).length).toBeGreaterThan(0);
      expect(parityDifferences('helm:shop:production', helm, kustomize.objects)).toEqual([]);
    },
  );
});
