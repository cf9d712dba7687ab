import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { ENVIRONMENTS, k8sDir, type RenderSpec, runTool, type Tools } from './renders.js';

/**
 * The opt-in Kustomize components (k8s/components) on every overlay, the way k8s/README.md says to
 * enable them: listed under `components:` of the overlay. Each component alone on each overlay, and each
 * largest set of components that go together; the pairs that do not are declared below with the reason.
 */

/** Components every overlay already lists (part of an environment's shape, not an option). */
function overlayComponents(): Set<string> {
  const used = new Set<string>();
  for (const env of ENVIRONMENTS) {
    const k = parse(readFileSync(path.join(k8sDir, 'overlays', env, 'kustomization.yaml'), 'utf8')) as {
      components?: string[];
    };
    for (const c of k.components ?? []) used.add(path.basename(c));
  }
  return used;
}

/** Every directory of k8s/components that no overlay lists: the opt-in components. */
export const OPTIONAL_COMPONENTS: string[] = readdirSync(path.join(k8sDir, 'components'), {
  withFileTypes: true,
})
  .filter((e) => e.isDirectory() && !overlayComponents().has(e.name))
  .map((e) => e.name)
  .sort();

/** Pairs that cannot be on together, and why (k8s/README.md repeats this list). */
export const INCOMPATIBLE: Array<{ pair: [string, string]; reason: string }> = [
  {
    pair: ['blue-green', 'canary'],
    reason: 'both turn the same Deployments into Rollouts and retarget the same HPAs',
  },
  {
    pair: ['canary', 'knative'],
    reason:
      "knative removes payment's Deployment, which the canary Rollout runs (Knative splits traffic between revisions itself)",
  },
  {
    pair: ['blue-green', 'knative'],
    reason: "knative removes payment's Deployment, which the blue-green Rollout runs",
  },
  {
    pair: ['knative', 'vpa'],
    reason: "the payment VPA targets the Deployment knative removes (Knative's autoscaler sizes payment)",
  },
  {
    pair: ['istio', 'knative'],
    reason:
      "STRICT mTLS refuses Knative's activator and Kourier, which are outside the mesh (needs net-istio)",
  },
  {
    pair: ['istio', 'loadgen'],
    reason:
      'the loadgen Job has no mesh identity (a sidecar would keep the Job running), so STRICT mTLS and the AuthorizationPolicies refuse its calls',
  },
  {
    pair: ['knative', 'loadgen'],
    reason:
      "loadgen calls payment's pods on port 8083 (URL and NetworkPolicy); with knative payment is behind Kourier on port 80",
  },
  {
    pair: ['apisix', 'knative'],
    reason: "ApisixRoute backends resolve Endpoints; Knative's payment-service is an ExternalName Service",
  },
];

export function compatible(a: string, b: string): boolean {
  return !INCOMPATIBLE.some(({ pair }) => pair.includes(a) && pair.includes(b) && a !== b);
}

/** Every largest set of pairwise compatible components (maximal cliques; the list is small). */
export function largestCompatibleSets(components: string[] = OPTIONAL_COMPONENTS): string[][] {
  const sets: string[][] = [];
  for (let mask = 1; mask < 1 << components.length; mask++) {
    const set = components.filter((_, i) => mask & (1 << i));
    if (!set.every((a) => set.every((b) => compatible(a, b)))) continue;
    const extendable = components.some((c) => !set.includes(c) && set.every((s) => compatible(s, c)));
    if (!extendable) sets.push(set);
  }
  return sets;
}

export interface CombinationSpec extends RenderSpec {
  components: string[];
}

export const combinationId = (env: string, components: string[]) =>
  `kustomize:${env}+${components.join('+')}`;

/** What the suite renders: each overlay with each component alone and with each largest compatible set. */
/** Combinations the umbrella chart has values for, compared with it field by field (parity.test.ts). */
export const HELM_PARITY_SETS = [['istio', 'vpa']];

export const COMBINATIONS: CombinationSpec[] = ENVIRONMENTS.flatMap((env) => {
  const sets = [
    ...OPTIONAL_COMPONENTS.map((c) => [c]),
    ...largestCompatibleSets().filter((s) => s.length > 1),
    ...(env === 'production' ? HELM_PARITY_SETS : []),
  ];
  return sets.map(
    (components): CombinationSpec => ({
      id: combinationId(env, components),
      tool: 'kustomize',
      target: env,
      environment: env,
      components,
    }),
  );
});

/**
 * Renders an overlay with components added to its `components:` list. The overlay is copied into a
 * temporary k8s/ tree whose other entries (base, components) are links to the real ones, so every
 * relative path resolves as in the repository and the checkout is never written to.
 */
export async function renderCombination(tools: Tools, spec: CombinationSpec): Promise<string> {
  const root = mkdtempSync(path.join(tmpdir(), 'shop-combination-'));
  try {
    const k8s = path.join(root, 'k8s');
    mkdirSync(path.join(k8s, 'overlays'), { recursive: true });
    for (const entry of readdirSync(k8sDir))
      if (entry !== 'overlays') symlinkSync(path.join(k8sDir, entry), path.join(k8s, entry));
    const overlay = path.join(k8s, 'overlays', spec.target);
    cpSync(path.join(k8sDir, 'overlays', spec.target), overlay, { recursive: true });
    const file = path.join(overlay, 'kustomization.yaml');
    const kustomization = parse(readFileSync(file, 'utf8')) as { components?: string[] };
    kustomization.components = [
      ...(kustomization.components ?? []),
      ...spec.components.map((c) => `../../components/${c}`),
    ];
    writeFileSync(file, stringify(kustomization));
    return await runTool(tools.kubectl, ['kustomize', overlay]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
