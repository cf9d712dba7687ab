import {
  Counter,
  type CounterConfiguration,
  collectDefaultMetrics,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';

/** Route label for every request no route matched, so random URLs cannot explode cardinality. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Paths the kit serves itself; they are never counted in request metrics. */
export const KIT_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Latency buckets (seconds) chosen around the seed's 500 ms p99 target. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Named<T> = Omit<T, 'registers'>;

/** Factories that register business metrics on the kit's own registry. */
export interface MetricsFactory {
  counter<L extends string>(config: Named<CounterConfiguration<L>>): Counter<L>;
  gauge<L extends string>(config: Named<GaugeConfiguration<L>>): Gauge<L>;
  histogram<L extends string>(config: Named<HistogramConfiguration<L>>): Histogram<L>;
}

/** Request metrics the adapters feed; one instance per kit. */
export interface HttpMetrics {
  /** Records one finished request; `route` is the template or undefined when nothing matched. */
  observe(method: string, route: string | undefined, status: number, durationSeconds: number): void;
}

/** A fresh registry with default process metrics (incl. event-loop lag) and the app label. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return registry;
}

/** Business-metric helpers bound to `registry`. */
export function createMetricsFactory(registry: Registry): MetricsFactory {
  return {
    counter: (config) => new Counter({ ...config, registers: [registry] }),
    gauge: (config) => new Gauge({ ...config, registers: [registry] }),
    histogram: (config) => new Histogram({ ...config, registers: [registry] }),
  };
}

/** `http_requests_total` and `http_request_duration_seconds`, the names the seed's alerts query. */
export function createHttpMetrics(metrics: MetricsFactory): HttpMetrics {
  const labelNames = ['method', 'route', 'status'] as const;
  const total = metrics.counter({ name: 'http_requests_total', help: 'HTTP requests served', labelNames });
  const duration = metrics.histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds',
    labelNames,
    buckets: HTTP_DURATION_BUCKETS,
  });
  return {
    observe(method, route, status, durationSeconds) {
      if (route !== undefined && KIT_PATHS.has(route)) return;
      const labels = {
        method: method.toUpperCase(),
        route: route ?? UNMATCHED_ROUTE,
        status: String(status),
      };
      total.inc(labels);
      duration.observe(labels, durationSeconds);
    },
  };
}

const sourceGroups = new WeakMap<Registry, Map<string, Map<string, unknown>>>();

/**
 * Named sources (pools, clients) feeding gauges that exist once per registry: `register` creates
 * the gauges on the first call for `group`; later calls (a second pool) only add their source.
 */
export function addMetricSource<T>(
  registry: Registry,
  group: string,
  name: string,
  source: T,
  register: (sources: ReadonlyMap<string, T>) => void,
): void {
  let groups = sourceGroups.get(registry);
  if (!groups) {
    groups = new Map();
    sourceGroups.set(registry, groups);
  }
  let sources = groups.get(group) as Map<string, T> | undefined;
  if (!sources) {
    sources = new Map();
    groups.set(group, sources);
    register(sources);
  }
  sources.set(name, source);
}
