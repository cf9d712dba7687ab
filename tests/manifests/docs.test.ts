import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPERATORS } from './support/prerequisites.js';
import { repoRoot } from './support/renders.js';

/** Operators of optional features the umbrella chart has values for (helm/README.md). */
const HELM_COMPONENT_OPERATORS = ['istio', 'vertical-pod-autoscaler'];

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

describe('the deploy documentation says what the suite checks', () => {
  it('k8s/README.md lists the prerequisites of a first sync in the order the apply-order model declares', () => {
    const readme = read('k8s/README.md');
    const section = readme.slice(readme.indexOf('## Prerequisites of a first sync'));
    const listed = [...section.matchAll(/^\d+\. \*\*([\w-]+)\*\*/gm)].map((m) => m[1]);
    expect(listed).toEqual(OPERATORS.map((o) => o.name));
  });

  it('helm/README.md names the same prerequisites for the umbrella chart', () => {
    const readme = read('helm/README.md');
    // The Kustomize components' operators: only the ones Helm has values for.
    for (const o of OPERATORS.filter((x) => !x.components || HELM_COMPONENT_OPERATORS.includes(x.name)))
      expect(readme, o.name).toContain(o.name);
  });

  it.each(['k8s/README.md', 'helm/README.md', 'k8s/overlays/dev/secrets/README.md', 'README.md'])(
    '%s points only at files that exist',
    (file) => {
      const text = read(file);
      // Placeholders (`helm/<svc>-service`) and globs are not paths.
      const paths = [...text.matchAll(/`((?:k8s|helm|tests)\/[^`\s*<]+)`/g)].map((m) => m[1]!);
      // `k8s/overlays/{staging,production}/x` style braces expand to each path.
      const expanded = paths.flatMap((p) => {
        const m = /\{([^}]+)\}/.exec(p);
        return m ? m[1]!.split(',').map((alt) => p.replace(m[0], alt)) : [p];
      });
      const missing = expanded.filter((p) => !existsSync(path.join(repoRoot, p.replace(/[:,.]$/, ''))));
      expect(missing).toEqual([]);
    },
  );
});
