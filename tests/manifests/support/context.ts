import { inject } from 'vitest';
import { COMBINATIONS, type CombinationSpec } from './combinations.js';
import { type K8sObject, parseObjects, RENDERS, type RenderSpec } from './renders.js';

export interface Rendered extends RenderSpec {
  objects: K8sObject[];
}

let cache: Rendered[] | undefined;

/** Every render of this run, parsed once per test worker. */
export function renders(): Rendered[] {
  if (!cache) {
    const text = inject('rendered');
    cache = RENDERS.map((spec) => ({ ...spec, objects: parseObjects(text[spec.id] ?? '', spec.id) }));
  }
  return cache;
}

export interface RenderedCombination extends CombinationSpec {
  objects: K8sObject[];
}

let combinationCache: RenderedCombination[] | undefined;

/** Every overlay + components render of this run, parsed once per test worker. */
export function combinationRenders(): RenderedCombination[] {
  if (!combinationCache) {
    const text = inject('combinations');
    combinationCache = COMBINATIONS.map((spec) => ({
      ...spec,
      objects: parseObjects(text[spec.id] ?? '', spec.id),
    }));
  }
  return combinationCache;
}

export function renderById(id: string): Rendered {
  const found = renders().find((r) => r.id === id);
  if (!found) throw new Error(`no render ${id}`);
  return found;
}

export const tools = () => inject('tools');

export function find<T = K8sObject>(objects: K8sObject[], kind: string, name: string): T | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name) as T | undefined;
}

/** Renders whose numbers must be the DESIGN §5 table (the blueprint): Helm defaults and production,
 * the Kustomize base and the production overlay. dev and staging scale down on purpose. */
export const blueprintRenders = () =>
  renders().filter(
    (r) => r.environment === 'default' || r.environment === 'production' || r.environment === 'base',
  );

/** Renders someone deploys as they are: every overlay and every chart with each values file (not the
 * Kustomize base, which has no Secrets and is only a building block). */
export const deployableRenders = () => renders().filter((r) => r.tool === 'helm' || r.environment !== 'base');
