// The alert rules proven with Prometheus's own tools: `promtool check rules` on every rule file (compose)
// and on the groups of every PrometheusRule any overlay or chart renders; `promtool test rules` unit tests
// (observability/prometheus/tests/) against both the compose files and the Kubernetes objects, which must
// carry the same groups.
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { prometheusTools, promtool } from '../support/prometheus-tools.js';
import { renders } from './support/context.js';
import { type K8sObject, repoRoot } from './support/renders.js';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Group {
  name: string;
  rules: Rule[];
}
type PrometheusRule = K8sObject & { spec: { groups: Group[] } };

const tools = prometheusTools();
const rulesDir = path.join(repoRoot, 'observability/prometheus');
const testsDir = path.join(rulesDir, 'tests');
/** Every rule file of the compose profile (prometheus.yml is the server config, not rules). */
const ruleFiles = readdirSync(rulesDir).filter((f) => f.endsWith('.yml') && f !== 'prometheus.yml');
const testFiles = readdirSync(testsDir).filter((f) => f.endsWith('.test.yml'));
const groupsOf = (file: string) =>
  (parse(readFileSync(path.join(rulesDir, file), 'utf8')) as { groups: Group[] }).groups;
const work = mkdtempSync(path.join(tmpdir(), 'shop-promtool-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const prometheusRules = () =>
  renders().flatMap((r) =>
    r.objects
      .filter((o): o is PrometheusRule => o.kind === 'PrometheusRule')
      .map((o) => ({ render: r.id, rule: o })),
  );
const base = () => prometheusRules().filter((x) => x.render === 'kustomize:base');

describe('rule files and PrometheusRules agree', () => {
  it('the compose rule files are alerts.yml (the five seed alerts) and slo.yml (burn-rate alerts), each with tests', () => {
    expect(ruleFiles.sort()).toEqual(['alerts.yml', 'slo.yml']);
    expect(testFiles.sort()).toEqual(['alerts.test.yml', 'slo.test.yml']);
  });

  it('the Kustomize base carries exactly the groups of the compose rule files', () => {
    const byName = new Map(base().map((x) => [x.rule.metadata.name, x.rule.spec.groups]));
    expect(byName.get('ecommerce-alerts')).toEqual(groupsOf('alerts.yml'));
    expect(byName.get('ecommerce-slo')).toEqual(groupsOf('slo.yml'));
  });

  it('every render (overlays, Helm charts) that carries one of those groups carries it unchanged', () => {
    const reference = new Map(ruleFiles.flatMap(groupsOf).map((g) => [g.name, g]));
    const drift = prometheusRules().flatMap(({ render, rule }) =>
      rule.spec.groups
        .filter((g) => reference.has(g.name) && !isDeepStrictEqual(g, reference.get(g.name)))
        .map((g) => `${render} ${rule.metadata.name}: group ${g.name} differs from observability/prometheus`),
    );
    expect(drift).toEqual([]);
  });

  it('every alert has promtool unit tests', () => {
    const alerts = new Set(
      ruleFiles.flatMap(groupsOf).flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : []))),
    );
    const tested = new Set(
      testFiles.flatMap((f) =>
        (
          parse(readFileSync(path.join(testsDir, f), 'utf8')) as {
            tests: Array<{ alert_rule_test?: Array<{ alertname: string }> }>;
          }
        ).tests.flatMap((t) => (t.alert_rule_test ?? []).map((a) => a.alertname)),
      ),
    );
    expect([...alerts].filter((a) => !tested.has(a))).toEqual([]);
    expect(alerts.size).toBe(7);
  });
});

describe.skipIf(!tools)(`promtool (Debian prometheus ${tools?.version ?? ''})`, () => {
  it.each(ruleFiles)('check rules accepts observability/prometheus/%s', (file) => {
    const r = promtool(tools!, ['check', 'rules', path.join(rulesDir, file)]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('check rules accepts the groups of every PrometheusRule in every overlay and chart render', () => {
    const rules = prometheusRules();
    expect(
      base()
        .map((x) => x.rule.metadata.name)
        .sort(),
    ).toEqual(['ecommerce-alerts', 'ecommerce-slo']);
    const failures = rules.flatMap(({ render, rule }) => {
      const file = path.join(work, `${render.replace(/\W+/g, '_')}-${rule.metadata.name}.yml`);
      writeFileSync(file, stringify({ groups: rule.spec.groups }));
      const r = promtool(tools!, ['check', 'rules', file]);
      return r.code === 0 ? [] : [`${render} ${rule.metadata.name}:\n${r.output}`];
    });
    expect(failures).toEqual([]);
  });

  it.each(testFiles)('test rules %s passes against the compose rule files', (file) => {
    const r = promtool(tools!, ['test', 'rules', file], testsDir);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/SUCCESS/);
  });

  it.each(testFiles)('test rules %s passes against the groups of the Kubernetes PrometheusRules', (file) => {
    // Same layout as observability/prometheus: rule files beside a tests/ folder with the unit tests.
    const dir = path.join(work, 'k8s');
    mkdirSync(path.join(dir, 'tests'), { recursive: true });
    const byName = new Map(base().map((x) => [x.rule.metadata.name, x.rule.spec.groups]));
    writeFileSync(path.join(dir, 'alerts.yml'), stringify({ groups: byName.get('ecommerce-alerts') }));
    writeFileSync(path.join(dir, 'slo.yml'), stringify({ groups: byName.get('ecommerce-slo') }));
    copyFileSync(path.join(testsDir, file), path.join(dir, 'tests', file));
    const r = promtool(tools!, ['test', 'rules', file], path.join(dir, 'tests'));
    expect(r.code, r.output).toBe(0);
  });

  it('test rules fails when an alert fires before its for: (the unit tests are not vacuous)', () => {
    const dir = path.join(work, 'mutant');
    mkdirSync(path.join(dir, 'tests'), { recursive: true });
    const groups = groupsOf('alerts.yml').map((g) => ({
      ...g,
      rules: g.rules.map((r) => (r.alert === 'HighErrorRate' ? { ...r, for: '0m' } : r)),
    }));
    writeFileSync(path.join(dir, 'alerts.yml'), stringify({ groups }));
    copyFileSync(path.join(testsDir, 'alerts.test.yml'), path.join(dir, 'tests', 'alerts.test.yml'));
    const r = promtool(tools!, ['test', 'rules', 'alerts.test.yml'], path.join(dir, 'tests'));
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/alertname: HighErrorRate, time: 5m/);
  });
});
