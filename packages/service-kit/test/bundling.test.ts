import { isBuiltin } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BUNDLE_EXTERNALS, INSTRUMENTED_PACKAGES } from '../src/telemetry/bundling.js';
import { loadInstrumentations } from '../src/telemetry/telemetry.js';

// A service bundle inlines every package it is not told to leave out, and an inlined package is never
// loaded by name: the instrumentations would not see it, and its spans would silently disappear.
describe('service bundles', () => {
  it('leave every package an instrumentation patches to node_modules', async () => {
    const instrumentations = await loadInstrumentations();
    try {
      const patched = instrumentations.flatMap((i) =>
        ((i as { getModuleDefinitions?: () => Array<{ name: string }> }).getModuleDefinitions?.() ?? []).map(
          (d) => d.name,
        ),
      );
      const packages = [...new Set(patched.filter((name) => !isBuiltin(name)))].sort();
      expect(packages.length).toBeGreaterThan(0);
      expect([...INSTRUMENTED_PACKAGES].sort()).toEqual(packages);
      for (const name of packages) expect(BUNDLE_EXTERNALS).toContain(name);
    } finally {
      for (const i of instrumentations) i.disable();
    }
  });
});
