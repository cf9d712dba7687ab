import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './renders.js';

/** Metric and label names the service kit registers (read from its source, so a rename breaks this suite). */
export function kitHttpMetrics(): { names: string[]; labels: string[] } {
  const file = path.join(repoRoot, 'packages/service-kit/src/core/metrics.ts');
  const source = readFileSync(file, 'utf8');
  const labels =
    /labelNames\s*=\s*\[([^\]]*)\]/
      .exec(source)?.[1]
      ?.match(/'([^']+)'/g)
      ?.map((s) => s.slice(1, -1)) ?? [];
  const names = [...source.matchAll(/name:\s*'(http_request[a-z_]*)'/g)].map((m) => m[1]!);
  return { names, labels };
}

/**
 * Every metric the kit and the services define with prom-client (`name: '…'` and its `labelNames`, read
 * from their sources), plus the process metrics of prom-client's default collector the dashboards use.
 */
export function shopMetrics(): Map<string, string[]> {
  const metrics = new Map<string, string[]>([['process_resident_memory_bytes', []]]);
  const roots = [
    path.join(repoRoot, 'packages/service-kit/src'),
    ...readdirSync(path.join(repoRoot, 'services')).map((s) => path.join(repoRoot, 'services', s, 'src')),
  ];
  const files = roots.flatMap((root) =>
    readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(root, f)),
  );
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    // A metric definition: `name: 'x', help: '…'` then, before the object ends, maybe `labelNames: [...]`.
    for (const m of source.matchAll(
      /name:\s*'([a-z_:]+)',\s*help:[^}]*?(?:labelNames:\s*\[([^\]]*)\]|\})/g,
    )) {
      const labels = m[2]?.match(/'([^']+)'/g)?.map((l) => l.slice(1, -1)) ?? [];
      metrics.set(m[1]!, labels);
    }
  }
  return metrics;
}

const KEYWORDS = new Set([
  'vector',
  'sum',
  'rate',
  'irate',
  'increase',
  'histogram_quantile',
  'by',
  'without',
  'on',
  'ignoring',
  'and',
  'or',
  'unless',
  'avg',
  'max',
  'min',
  'count',
  'bool',
  'group_left',
  'group_right',
  'offset',
  'le',
  'humanizePercentage',
]);

export interface Selector {
  metric: string;
  labels: string[];
}

/** Metric selectors (`name{a="b",c=~"d"}` or bare `name`) and the labels of `by (...)` clauses. */
export function parsePromQL(expr: string): { selectors: Selector[]; groupBy: string[] } {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const selectors: Selector[] = [];
  const re = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{([^}]*)\})?/g;
  const groupBy = [...withoutStrings.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const stripped = withoutStrings.replace(/\bby\s*\([^)]*\)/g, '').replace(/\[[^\]]*\]/g, '');
  for (const m of stripped.matchAll(re)) {
    const name = m[1]!;
    if (KEYWORDS.has(name) || /^\d/.test(name)) continue;
    const labels = m[3]
      ? [...m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!)
      : [];
    selectors.push({ metric: name, labels });
  }
  return { selectors, groupBy };
}
