import { describe, expect, it } from 'vitest';
import { find, renderById } from './support/context.js';
import { SERVICE_NAMES } from './support/design-table.js';
import type { K8sObject } from './support/renders.js';

/**
 * Helm and Kustomize must deploy the same thing for the same environment: the Helm defaults match
 * k8s/base, the Helm production values match k8s/overlays/production. Compared field by field on the
 * spec (metadata differs on purpose: Helm adds its release labels). Image tags are release inputs, not
 * configuration (CI bumps the overlays, `helm upgrade --set image.tag=` the charts), so only the image
 * repository is compared.
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

const KINDS: Array<[kind: string, suffix: string]> = [
  ['Deployment', ''],
  ['HorizontalPodAutoscaler', '-hpa'],
  ['PodDisruptionBudget', '-pdb'],
];

/** The spec with image tags removed, as plain JSON (so `toEqual` reports the differing fields). */
function comparable(object: K8sObject | undefined): unknown {
  if (!object) return undefined;
  return JSON.parse(JSON.stringify(object.spec), (key, value) =>
    key === 'image' && typeof value === 'string' ? value.replace(/:[^:/@]+$/, '') : value,
  );
}

const cases = PAIRS.flatMap(([helm, kustomize]) =>
  SERVICE_NAMES.filter((svc) => helm.startsWith('helm:shop:') || helm.startsWith(`helm:${svc}:`)).flatMap(
    (svc) => KINDS.map(([kind, suffix]) => [helm, kustomize, kind, `${svc}${suffix}`] as const),
  ),
);

describe('Helm and Kustomize render the same Deployment, HPA and PDB specs', () => {
  it.each(cases)('%s vs %s: %s %s', (helmId, kustomizeId, kind, name) => {
    const fromHelm = find(renderById(helmId).objects, kind, name);
    const fromKustomize = find(renderById(kustomizeId).objects, kind, name);
    expect(fromHelm, `${helmId} renders ${kind}/${name}`).toBeDefined();
    expect(fromKustomize, `${kustomizeId} renders ${kind}/${name}`).toBeDefined();
    expect(fromHelm!.metadata.namespace).toBe(fromKustomize!.metadata.namespace);
    expect(comparable(fromHelm)).toEqual(comparable(fromKustomize));
  });

  it('the comparison sees a difference in a nested field', () => {
    const a = find(renderById('kustomize:base').objects, 'Deployment', 'order-service')!;
    const b = structuredClone(a) as K8sObject & {
      spec: { template: { spec: { containers: Array<{ readinessProbe: { periodSeconds: number } }> } } };
    };
    b.spec.template.spec.containers[0]!.readinessProbe.periodSeconds += 1;
    expect(comparable(b)).not.toEqual(comparable(a));
  });
});
