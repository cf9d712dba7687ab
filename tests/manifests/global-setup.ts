import type { TestProject } from 'vitest/node';
import { COMBINATIONS, renderCombination } from './support/combinations.js';
import { ensureTools, RENDERS, render } from './support/renders.js';

declare module 'vitest' {
  export interface ProvidedContext {
    tools: { helm: string; kubectl: string };
    /** Rendered YAML by render id (support/renders.ts), produced once per run. */
    rendered: Record<string, string>;
    /** Rendered YAML of each overlay + components combination (support/combinations.ts). */
    combinations: Record<string, string>;
  }
}

/** Installs helm/kubectl if needed and renders every chart, overlay and component combination once. */
export default async function setup(project: TestProject): Promise<void> {
  const tools = await ensureTools();
  const outputs = await Promise.all(
    RENDERS.map(async (spec) => [spec.id, await render(tools, spec)] as const),
  );
  // Four at a time: each is a kubectl process on a shared 2-core machine.
  const combinations: Array<readonly [string, string]> = [];
  for (let i = 0; i < COMBINATIONS.length; i += 4)
    combinations.push(
      ...(await Promise.all(
        COMBINATIONS.slice(i, i + 4).map(
          async (spec) => [spec.id, await renderCombination(tools, spec)] as const,
        ),
      )),
    );
  project.provide('tools', tools);
  project.provide('rendered', Object.fromEntries(outputs));
  project.provide('combinations', Object.fromEntries(combinations));
}
