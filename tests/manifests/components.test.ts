import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkApplyOrder, describeViolation } from './support/apply-order.js';
import { byKind, type ProjectSpec } from './support/argocd.js';
import { asRun } from './support/as-run.js';
import { connectionBudget, quotaReports } from './support/capacity.js';
import {
  COMBINATIONS,
  INCOMPATIBLE,
  largestCompatibleSets,
  OPTIONAL_COMPONENTS,
} from './support/combinations.js';
import {
  analysisQueryProblems,
  gatewayProblems,
  haDataProblems,
  knativeProblems,
  meshProblems,
  rolloutProblems,
  vpaHpaConflicts,
} from './support/component-checks.js';
import {
  autoscalingProblems,
  containerProblems,
  monitorProblems,
  networkPolicyProblems,
  podSecurityProblems,
  probePortProblems,
  serviceAccountTokenProblems,
  serviceSelectionProblems,
  serviceUrlProblems,
} from './support/consistency.js';
import { combinationRenders, type RenderedCombination, renderById } from './support/context.js';
import { crdSchemaErrors, hasCrdSchema } from './support/crd-schema.js';
import { groupOf, isNamespaced } from './support/k8s-refs.js';
import { asSubmitted, StrictFieldChecker, schemaErrors } from './support/k8s-schema.js';
import { prerequisitesOf } from './support/prerequisites.js';
import { type K8sObject, NAMESPACE, objectId, repoRoot } from './support/renders.js';

/**
 * Every optional component (k8s/components) on every overlay, alone and in each largest compatible
 * set, rendered once by the global setup: each render is validated against its schemas and put through
 * the same checks as the overlays themselves (consistency, Pod Security, apply order, quota, database
 * connections), then through what each component promises.
 */
const combos = combinationRenders();
const cases = combos.map((r) => [r.id, r] as const);
const reference = (r: RenderedCombination) => renderById(`kustomize:${r.environment}`).objects;
const has = (r: RenderedCombination, c: string) => r.components.includes(c);

let strict: StrictFieldChecker;
beforeAll(() => {
  strict = new StrictFieldChecker(
    combos.flatMap((r) =>
      r.objects.filter((o) => !hasCrdSchema(o)).map((o) => ({ apiVersion: o.apiVersion, kind: o.kind })),
    ),
  );
});

describe('the combinations', () => {
  it('cover each optional component alone on each overlay, and each largest compatible set', () => {
    expect(OPTIONAL_COMPONENTS).toEqual(
      expect.arrayContaining(['apisix', 'blue-green', 'canary', 'ha-data', 'istio', 'knative', 'vpa']),
    );
    for (const env of ['dev', 'staging', 'production'])
      for (const c of OPTIONAL_COMPONENTS)
        expect(
          COMBINATIONS.some((x) => x.environment === env && x.components.join() === c),
          `${env}+${c}`,
        ).toBe(true);
    // Every component is in some set with more than itself, unless everything excludes it.
    const sets = largestCompatibleSets();
    for (const c of OPTIONAL_COMPONENTS)
      expect(
        sets.some((s) => s.includes(c)),
        c,
      ).toBe(true);
    for (const { pair } of INCOMPATIBLE)
      expect(
        sets.some((s) => pair.every((p) => s.includes(p))),
        pair.join(),
      ).toBe(false);
  });

  it('k8s/README.md documents every optional component and every incompatible pair with its reason', () => {
    const readme = readFileSync(path.join(repoRoot, 'k8s/README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Components'));
    for (const c of OPTIONAL_COMPONENTS) expect(table, c).toMatch(new RegExp(`\\| \`${c}\` \\|`));
    for (const { pair } of INCOMPATIBLE)
      expect(table, pair.join(' × ')).toContain(`\`${pair[0]}\` × \`${pair[1]}\``);
  });
});

describe.each(cases)('%s', (_id, r) => {
  const running = asRun(r.objects, NAMESPACE);

  it('every object is valid against its schema (Kubernetes 1.34, the CRDs; unknown fields are errors)', async () => {
    const failures: string[] = [];
    for (const object of r.objects) {
      const o = asSubmitted(object);
      const problems = hasCrdSchema(o)
        ? crdSchemaErrors(o)
        : [...(await schemaErrors(o)), ...strict.unknownFields(o)];
      for (const p of problems) failures.push(`${objectId(o)}: ${p}`);
    }
    expect(failures).toEqual([]);
  });

  it('every pod: Pod Security restricted, requests and limits, pinned images, no needless token', () => {
    expect(podSecurityProblems(r.objects)).toEqual([]);
    expect(containerProblems(r.objects)).toEqual([]);
    expect(serviceAccountTokenProblems(r.objects)).toEqual([]);
  });

  it('Services, probes, monitors, autoscalers and PDBs point at what runs', () => {
    expect(serviceSelectionProblems(r.objects)).toEqual([]);
    expect(probePortProblems(r.objects)).toEqual([]);
    expect(monitorProblems(running)).toEqual([]);
    expect(autoscalingProblems(running)).toEqual([]);
    expect(serviceUrlProblems(running)).toEqual([]);
  });

  it('NetworkPolicies stay default-deny and open exactly the calls the code makes', () => {
    expect(networkPolicyProblems(r.objects)).toEqual([]);
  });

  it("a first sync never needs something a later step creates (the components' operators are prerequisites)", () => {
    const { violations } = checkApplyOrder(r.objects, 'argocd', {
      defaultNamespace: NAMESPACE,
      prerequisites: prerequisitesOf(r),
    });
    expect(violations.map(describeViolation)).toEqual([]);
  });

  it("ArgoCD's AppProject admits it: its namespaces, its cluster-scoped kinds; every namespaced object names its namespace", () => {
    const project = byKind('AppProject')[0] as K8sObject & { spec: ProjectSpec };
    const problems: string[] = [];
    for (const o of r.objects) {
      if (isNamespaced(o)) {
        if (!o.metadata.namespace) problems.push(`${objectId(o)}: no namespace`);
        else if (
          !project.spec.destinations.some(
            (d) => d.name === r.environment && d.namespace === o.metadata.namespace,
          )
        )
          problems.push(`${objectId(o)}: namespace not in the AppProject`);
      } else if (
        !project.spec.clusterResourceWhitelist.some(
          (w) => w.group === groupOf(o.apiVersion) && w.kind === o.kind,
        )
      )
        problems.push(`${objectId(o)}: cluster-scoped kind not whitelisted`);
    }
    expect(problems).toEqual([]);
  });

  it('custom resources of the prerequisite operators skip the dry run when their CRD is missing', () => {
    const crds = prerequisitesOf(r).crds ?? {};
    const missing = r.objects
      .filter((o) => `${o.apiVersion.split('/')[0]}/${o.kind}` in crds)
      .filter(
        (o) =>
          !/SkipDryRunOnMissingResource=true/.test(
            o.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '',
          ),
      )
      .map(objectId);
    expect(missing).toEqual([]);
  });

  it('the quota fits every pod at the HPA maxima, with what the operators add (sidecars, queue-proxy)', () => {
    for (const report of quotaReports(running, NAMESPACE))
      expect(report.problems, report.namespace).toEqual([]);
  });

  it('database connections fit hop by hop at the HPA maxima', () => {
    const budget = connectionBudget(running, NAMESPACE);
    expect(budget.problems).toEqual([]);
    expect(budget.hops.length).toBeGreaterThan(0);
  });

  it('keeps what each of its components promises', () => {
    const problems: string[] = [];
    if (has(r, 'canary') || has(r, 'blue-green'))
      problems.push(...rolloutProblems(r.objects), ...analysisQueryProblems(r.objects));
    if (has(r, 'istio')) problems.push(...meshProblems(r.objects));
    if (has(r, 'vpa')) problems.push(...vpaHpaConflicts(r.objects));
    if (has(r, 'knative')) problems.push(...knativeProblems(r.objects, reference(r)));
    if (has(r, 'apisix')) problems.push(...gatewayProblems(r.objects, reference(r)));
    if (has(r, 'ha-data')) problems.push(...haDataProblems(r.objects));
    expect(problems).toEqual([]);
  });
});

describe('the component checks catch what they are for', () => {
  const find = (id: string) => combos.find((r) => r.id === id)!;
  const patched = (objects: K8sObject[], match: (o: K8sObject) => boolean, edit: (o: K8sObject) => void) =>
    objects.map((o) => {
      if (!match(o)) return o;
      const copy = structuredClone(o);
      edit(copy);
      return copy;
    });

  it('vpa: Auto on cpu/memory against the HPA on cpu/memory is reported; Auto on memory with a CPU-only HPA is not', () => {
    const objects = find('kustomize:production+vpa').objects;
    const auto = patched(
      objects,
      (o) => o.kind === 'VerticalPodAutoscaler' && o.metadata.name === 'user-service',
      (o) => {
        (o.spec as { updatePolicy: { updateMode: string } }).updatePolicy.updateMode = 'Auto';
      },
    );
    expect(vpaHpaConflicts(auto)).toEqual([
      'user-service: updateMode Auto changes cpu requests that user-service-hpa scales on',
      'user-service: updateMode Auto changes memory requests that user-service-hpa scales on',
    ]);
    const separated = patched(
      patched(
        auto,
        (o) => o.kind === 'VerticalPodAutoscaler' && o.metadata.name === 'user-service',
        (o) => {
          (o.spec as { resourcePolicy: { containerPolicies: Array<{ controlledResources: string[] }> } })
            .resourcePolicy.containerPolicies[0]!.controlledResources = ['memory'];
        },
      ),
      (o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'user-service-hpa',
      (o) => {
        const spec = o.spec as { metrics: Array<{ resource?: { name: string } }> };
        spec.metrics = spec.metrics.filter((m) => m.resource?.name !== 'memory');
      },
    );
    expect(vpaHpaConflicts(separated)).toEqual([]);
  });

  it('istio: mesh retries on top of the client retries, and a caller the NetworkPolicy does not allow, are reported', () => {
    const objects = find('kustomize:production+istio').objects;
    const retrying = patched(
      objects,
      (o) => o.kind === 'VirtualService' && o.metadata.name === 'product-service',
      (o) => {
        delete (o.spec as { http: Array<{ retries?: unknown }> }).http[0]!.retries;
      },
    );
    expect(meshProblems(retrying)).toEqual([
      'product-service: retries in two layers (mesh 2, client SERVICE_RETRY 3)',
    ]);
    const widened = patched(
      objects,
      (o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'order-service',
      (o) => {
        (
          o.spec as { rules: Array<{ from: Array<{ source: { principals?: string[] } }> }> }
        ).rules[1]!.from[0]!.source.principals!.push('cluster.local/ns/microservices/sa/payment-service');
      },
    );
    expect(meshProblems(widened).join('\n')).toMatch(
      /order-service: mesh callers payment-service != network callers/,
    );
    // The user service's gRPC port: a second caller in the mesh only, or no route of its own, is reported.
    const grpcWidened = patched(
      objects,
      (o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'user-service',
      (o) => {
        const rules = (o.spec as { rules: Array<{ from: Array<{ source: { principals?: string[] } }> }> })
          .rules;
        rules.at(-1)!.from[0]!.source.principals!.push('cluster.local/ns/microservices/sa/payment-service');
      },
    );
    expect(meshProblems(grpcWidened)).toEqual([
      'user-service: mesh gRPC callers order-service,payment-service != network order-service',
      'user-service: mesh gRPC callers order-service,payment-service != code order-service',
    ]);
    const catchAllOnly = patched(
      objects,
      (o) => o.kind === 'VirtualService' && o.metadata.name === 'user-service',
      (o) => {
        (o.spec as { http: unknown[] }).http.shift();
      },
    );
    expect(meshProblems(catchAllOnly)).toEqual([
      'user-service: no VirtualService route for the gRPC port 9090',
    ]);
  });

  it("the user service's gRPC port opened to a service whose code does not call it is reported", () => {
    const objects = find('kustomize:production+istio').objects;
    const opened = patched(
      objects,
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'user-service',
      (o) => {
        const ingress = (o.spec as { ingress: Array<{ from: unknown[]; ports: Array<{ port: string }> }> })
          .ingress;
        ingress
          .find((rule) => rule.ports.some((p) => p.port === 'grpc'))!
          .from.push({ podSelector: { matchLabels: { app: 'product-service' } } });
      },
    );
    expect(networkPolicyProblems(opened)).toEqual([
      'user-service gRPC callers: order-service,product-service != order-service',
    ]);
  });

  it('quota: the injected sidecars count (without the istio quota the production peak does not fit)', () => {
    const r = find('kustomize:production+istio');
    const base = renderById('kustomize:production').objects.find((o) => o.kind === 'ResourceQuota')!;
    const objects = r.objects.map((o) => (o.kind === 'ResourceQuota' ? base : o));
    const [report] = quotaReports(asRun(objects, NAMESPACE), NAMESPACE);
    expect(report!.problems.join()).toMatch(/requests\.cpu/);
  });

  it('knative: an env drift from the Deployment it replaces is reported', () => {
    const r = find('kustomize:production+knative');
    const drifted = patched(
      r.objects,
      (o) => o.kind === 'Service' && o.apiVersion.startsWith('serving.knative.dev'),
      (o) => {
        const c = (
          o.spec as {
            template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } };
          }
        ).template.spec.containers[0]!;
        c.env = c.env.filter((e) => e.name !== 'OTEL_SERVICE_NAME');
      },
    );
    expect(knativeProblems(drifted, reference(r))).toEqual(['env OTEL_SERVICE_NAME differs']);
  });

  it('a URL naming a Service port that does not exist is reported (loadgen at :8083 with a Knative payment)', () => {
    const r = find('kustomize:production+knative');
    const loadgen: K8sObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'loadgen', namespace: NAMESPACE },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'c',
                image: 'x:1',
                env: [{ name: 'LOAD_PAYMENT_URL', value: 'http://payment-service:8083' }],
              },
            ],
          },
        },
      },
    };
    expect(serviceUrlProblems(asRun([...r.objects, loadgen], NAMESPACE))).toEqual([
      'Job/loadgen LOAD_PAYMENT_URL: Service payment-service has no port 8083',
    ]);
  });

  it('ha-data: the Cluster and Pooler are budgeted like PostgreSQL behind PgBouncer (too small max_connections is reported)', () => {
    const r = find('kustomize:production+ha-data');
    const hops = connectionBudget(asRun(r.objects, NAMESPACE), NAMESPACE).hops.map((h) => h.name);
    expect(hops).toEqual([
      'clients → postgresql-pooler-rw.data (max_client_conn of one replica)',
      '→ postgresql-rw.data (max_connections)',
    ]);
    const small = patched(
      r.objects,
      (o) => o.kind === 'Cluster',
      (o) => {
        (
          o.spec as { postgresql: { parameters: Record<string, string> } }
        ).postgresql.parameters.max_connections = '50';
      },
    );
    expect(connectionBudget(asRun(small, NAMESPACE), NAMESPACE).problems.join()).toMatch(
      /→ postgresql-rw\.data \(max_connections\): \d+ > 50/,
    );
  });

  it('ha-data: a migration Job through the Pooler is reported by the connection budget', () => {
    const r = find('kustomize:production+ha-data');
    const pooled = patched(
      r.objects,
      (o) => o.kind === 'Job',
      (o) => {
        const env = (
          o.spec as {
            template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } };
          }
        ).template.spec.containers[0]!.env;
        env.find((e) => e.name === 'DB_HOST')!.value = 'postgresql-pooler-rw.data.svc.cluster.local';
      },
    );
    expect(connectionBudget(asRun(pooled, NAMESPACE), NAMESPACE).problems.join('\n')).toMatch(
      /migrations hold a session-level advisory lock; connect them to PostgreSQL, not through postgresql-pooler-rw/,
    );
    expect(haDataProblems(pooled).join('\n')).toMatch(/DB_HOST postgresql-pooler-rw.* is not the primary/);
  });
});
