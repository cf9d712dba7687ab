import type { TestProject } from 'vitest/node';
import { ensureTools, RENDERS, render } from './support/renders.js';

declare module 'vitest' {
  export interface ProvidedContext {
    tools: { helm: string; kubectl: string };
    /** Rendered YAML by render id (support/renders.ts), produced once per run. */
    rendered: Record<string, string>;
  }
}

/** Installs helm/kubectl if needed and renders every chart and overlay once for all test files. */
export default async function setup(project: TestProject): Promise<void> {
  const tools = await ensureTools();
  const outputs = await Promise.all(
    RENDERS.map(async (spec) => [spec.id, await render(tools, spec)] as const),
  );
  project.provide('tools', tools);
  project.provide('rendered', Object.fromEntries(outputs));
}
