// Debian's Prometheus for the e2e stack: the compose scrape config (observability/prometheus/prometheus.yml)
// and rule files, with targets pointed at the stack's processes, 1 s scrape/evaluation, a temp TSDB on a
// free loopback port. Used by prometheus.test.ts and by any test that asserts on alerts or panels.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getFreePort } from '@shop/testing';
import { parse, stringify } from 'yaml';
import type { PrometheusTools } from '../../support/prometheus-tools.js';
import { eventually } from './client.js';
import { SERVICES, type ServiceName, type Stack } from './stack.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const rulesDir = path.join(repoRoot, 'observability/prometheus');

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RunningPrometheus {
  url: string;
  query(expr: string): Promise<PromSample[]>;
  alerts(): Promise<PromAlert[]>;
  ruleGroups(): Promise<string[]>;
  /** State of the first alert named `name` whose labels match (`''` = label absent), or undefined. */
  alertState(name: string, labels?: Record<string, string>): Promise<PromAlert['state'] | undefined>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** Extra rule groups loaded beside the compose rule files (e.g. short-`for:` copies of seed alerts). */
  extraGroups?: Array<{ name: string; rules: unknown[] }>;
}

type Rule = Record<string, unknown> & { alert?: string; labels?: Record<string, string> };

/** Seed alerts from alerts.yml with `for:` shortened and a `variant` label, to see them reach firing in a test. */
export function shortForCopies(alerts: string[], forDuration: string, variant = 'short-for'): Rule[] {
  const seed = parse(readFileSync(path.join(rulesDir, 'alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Rule[] }>;
  };
  return seed.groups
    .flatMap((g) => g.rules)
    .filter((r) => r.alert && alerts.includes(r.alert))
    .map((r) => ({ ...r, for: forDuration, labels: { ...r.labels, variant } }));
}

/** Starts Prometheus scraping `stack`; resolves once it is ready. Always `stop()` it. */
export async function startPrometheus(
  tools: PrometheusTools,
  stack: Stack,
  options: PrometheusOptions = {},
): Promise<RunningPrometheus> {
  const work = mkdtempSync(path.join(tmpdir(), 'shop-prometheus-'));
  const port = await getFreePort();
  const url = `http://127.0.0.1:${port}`;
  const config = parse(readFileSync(path.join(rulesDir, 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: Array<{
      job_name: string;
      static_configs: Array<{ targets: string[]; labels?: Record<string, string> }>;
    }>;
  };
  config.global = {
    ...config.global,
    scrape_interval: '1s',
    scrape_timeout: '1s',
    evaluation_interval: '1s',
  };
  config.rule_files = config.rule_files.map((f) => path.join(rulesDir, path.basename(f)));
  if (options.extraGroups) {
    writeFileSync(path.join(work, 'extra.yml'), stringify({ groups: options.extraGroups }));
    config.rule_files.push(path.join(work, 'extra.yml'));
  }
  for (const job of config.scrape_configs)
    for (const sc of job.static_configs)
      sc.targets = sc.targets.map((t) => {
        if (job.job_name === 'prometheus') return `127.0.0.1:${port}`;
        const svc = sc.labels?.app?.replace(/-service$/, '') as ServiceName | undefined;
        if (!svc || !SERVICES.includes(svc)) throw new Error(`unknown target ${t} in prometheus.yml`);
        return `127.0.0.1:${stack.ports[svc]}`;
      });
  writeFileSync(path.join(work, 'prometheus.yml'), stringify(config));

  let log = '';
  const child: ChildProcess = spawn(
    tools.prometheus,
    [
      `--config.file=${path.join(work, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(work, 'data')}`,
      '--storage.tsdb.retention.time=1h',
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(work, { recursive: true, force: true });
  };
  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${url}${p}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; error?: string; data: T };
    if (body.status !== 'success') throw new Error(`${p}: ${body.error}`);
    return body.data;
  };
  try {
    await eventually(
      async () =>
        (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok ? true : undefined,
      'prometheus to be ready',
      30_000,
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  const alerts = async () => (await get<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts;
  return {
    url,
    query: async (expr) =>
      (await get<{ result: PromSample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    alerts,
    ruleGroups: async () =>
      (await get<{ groups: Array<{ name: string }> }>('/api/v1/rules')).groups.map((g) => g.name),
    alertState: async (name, labels = {}) =>
      (await alerts()).find(
        (a) =>
          a.labels.alertname === name && Object.entries(labels).every(([k, v]) => (a.labels[k] ?? '') === v),
      )?.state,
    stop,
  };
}
