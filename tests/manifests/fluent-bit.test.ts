import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renders } from './support/context.js';
import {
  CRI_REGEX,
  KUBE_TAG_REGEX,
  parseCri,
  parseFluentBitConf,
  type Section,
  tailTag,
} from './support/fluent-bit.js';
import { OPERATORS } from './support/prerequisites.js';
import { type K8sObject, objectId } from './support/renders.js';
import type { PodSpec } from './support/workloads.js';

const fixtureDir = path.join(import.meta.dirname, 'fixtures/fluent-bit');
const logFile = readdirSync(fixtureDir).find((f) => f.endsWith('.log'))!;
const criLines = readFileSync(path.join(fixtureDir, logFile), 'utf8').split('\n');

const withFluentBit = renders().filter((r) =>
  r.objects.some((o) => o.kind === 'DaemonSet' && o.metadata.name === 'fluent-bit'),
);
const section = (sections: Section[], name: string, plugin: string) =>
  sections.find((s) => s.name === name && s.entries.name === plugin);

function pipeline(objects: K8sObject[]) {
  const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'fluent-bit')!;
  const spec = (ds.spec as { template: { spec: PodSpec } }).template.spec;
  const configVolume = (spec.volumes ?? []).find((v) => v.name === 'config') as unknown as {
    configMap: { name: string };
  };
  const cm = objects.find(
    (o) =>
      o.kind === 'ConfigMap' &&
      o.metadata.name === configVolume.configMap.name &&
      o.metadata.namespace === ds.metadata.namespace,
  ) as K8sObject & { data: Record<string, string> };
  return { ds, spec, sections: parseFluentBitConf(cm.data['fluent-bit.conf']!) };
}

describe('the CRI sample (fixture) through the built-in multiline cri parser', () => {
  const { records, unmatched } = parseCri(criLines);

  it('matches every line, reassembles the P chunks of a stream and keeps the other stream apart', () => {
    expect(unmatched).toEqual([]);
    expect(records.map((r) => r.stream)).toEqual(['stdout', 'stderr', 'stdout', 'stdout']);
    expect(records[2]!.log.length).toBeGreaterThan(4000);
    expect(records[1]!.log).toMatch(/^\(node:1\) Warning/);
  });

  it("yields the services' pino JSON intact (what Merge_Log decodes into log_processed)", () => {
    const first = JSON.parse(records[0]!.log) as Record<string, unknown>;
    expect(first).toMatchObject({
      level: 30,
      msg: 'order created',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    const split = JSON.parse(records[2]!.log) as { msg: string; err: { stack: string } };
    expect(split.msg).toBe('payment intent failed');
    expect(split.err.stack.split('\n')).toHaveLength(42);
  });

  it('the docker parser the first manifests used (Format json on the whole line) reads none of it', () => {
    const docker = (line: string) => {
      try {
        return typeof JSON.parse(line) === 'object';
      } catch {
        return false;
      }
    };
    expect(criLines.filter((l) => l !== '').some(docker)).toBe(false);
    expect(CRI_REGEX.test('{"log":"x\\n","stream":"stdout","time":"2026-03-01T10:15:30Z"}')).toBe(false);
  });
});

describe.each(withFluentBit.map((r) => [r.id, r] as const))('%s: Fluent Bit configuration', (_id, r) => {
  const { ds, spec, sections } = pipeline(r.objects);
  const input = section(sections, 'INPUT', 'tail')!;
  const filter = section(sections, 'FILTER', 'kubernetes')!;
  const output = sections.find((s) => s.name === 'OUTPUT')!;

  it('tails the CRI files with the multiline cri parser, no docker parser', () => {
    expect(input.entries.path).toBe('/var/log/containers/*.log');
    expect(input.entries['multiline.parser']?.split(/,\s*/)).toContain('cri');
    expect(input.entries.parser).toBeUndefined();
  });

  it('the kubernetes filter gets pod, namespace and container from the tag of the fixture file', () => {
    expect(filter.entries.match).toBe(input.entries.tag);
    expect(filter.entries.merge_log).toBe('On');
    const tag = tailTag(input.entries.tag!, `/var/log/containers/${logFile}`);
    const prefix = filter.entries.kube_tag_prefix ?? 'kube.var.log.containers.';
    expect(tag.startsWith(prefix)).toBe(true);
    expect(KUBE_TAG_REGEX.exec(tag.slice(prefix.length))?.groups).toMatchObject({
      pod_name: 'order-service-7d9f8b6c5d-x2k4q',
      namespace_name: 'microservices',
      container_name: 'order-service',
    });
  });

  it('ships to a backend that is deployed here or a named prerequisite, with every file and variable it needs', () => {
    expect(output.entries.match).toBe(input.entries.tag);
    const host = output.entries.host!;
    const [name, namespace] = host.split('.');
    const id = `Service/${namespace}/${name}`;
    const deployed = r.objects.some((o) => objectId(o) === id);
    const prerequisite = OPERATORS.some((o) => (o.objects ?? []).includes(id));
    expect(deployed || prerequisite, `${host}: deployed or a documented prerequisite`).toBe(true);
    const container = spec.containers.find((c) => c.name === 'fluent-bit')!;
    const env = new Set((container.env ?? []).map((e) => e.name));
    for (const s of sections)
      for (const value of Object.values(s.entries))
        for (const m of value.matchAll(/\$\{([A-Z_]+)\}/g))
          expect(env.has(m[1]!), `${m[1]} in the container env`).toBe(true);
    const mounts = (container.volumeMounts ?? []).map((m) => m.mountPath.replace(/\/$/, ''));
    const files = sections.flatMap((s) =>
      Object.entries(s.entries)
        .filter(([k]) => /(_file|\.ca_file|^db)$/.test(k))
        .map(([, v]) => v),
    );
    for (const file of files.filter((f) => !f.startsWith('/var/run/secrets/kubernetes.io/')))
      expect(
        mounts.some((m) => file.startsWith(`${m}/`)),
        `${file} is on a mounted volume`,
      ).toBe(true);
    expect(ds.metadata.namespace).toBe('monitoring');
  });
});
