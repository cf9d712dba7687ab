// The compose files are manifests too: `npm test` parses each one strictly (a misplaced key in a merge
// is a YAML error that only the container suite would otherwise meet), and where docker-compose is
// installed it validates the combinations users run, as `docker compose config` does.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const files = readdirSync(repoRoot).filter((f) => /^docker-compose(\.[\w-]+)?\.yml$/.test(f));
const compose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;

describe('compose files', () => {
  it('finds the base file and its overrides', () => {
    expect(files).toContain('docker-compose.yml');
    expect(files).toContain('docker-compose.replicas.yml');
  });

  for (const file of files)
    it(`${file} is valid YAML without duplicate keys`, () => {
      const doc = parseDocument(readFileSync(path.join(repoRoot, file), 'utf8'), { uniqueKeys: true });
      expect(doc.errors.map((e) => e.message)).toEqual([]);
      expect(doc.toJS()).toHaveProperty('services');
    });

  for (const combo of [
    ['docker-compose.yml'],
    ['docker-compose.yml', 'docker-compose.replicas.yml'],
    ['docker-compose.yml', 'docker-compose.data-ports.yml'],
  ])
    it.skipIf(!compose)(`docker-compose config accepts ${combo.join(' + ')} with every profile`, () => {
      const args = [...combo.flatMap((f) => ['-f', f]), '--profile', 'load', '--profile', 'observability'];
      const r = spawnSync('docker-compose', [...args, 'config', '-q'], { cwd: repoRoot, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
});
