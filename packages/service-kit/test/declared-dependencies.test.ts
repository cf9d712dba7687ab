import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A package used but not declared only resolves because npm hoisted it from another workspace;
// a pruned image or another install layout breaks. Root dev tools (vitest, typescript) count too.
const root = fileURLToPath(new URL('..', import.meta.url));
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const specifier = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"]([^'"./][^'"]*)['"]/g;
const packageOf = (spec: string) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);

describe('declared dependencies', () => {
  it('declares every package that src/ and test/ import', () => {
    const own = readJson(join(root, 'package.json'));
    const workspaceRoot = readJson(join(root, '../../package.json'));
    const declared = new Set([
      own.name,
      ...Object.keys(own.dependencies ?? {}),
      ...Object.keys(own.devDependencies ?? {}),
      ...Object.keys(workspaceRoot.devDependencies ?? {}),
    ]);
    const builtins = new Set(builtinModules);
    const undeclared = new Set<string>();
    for (const file of [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'test'))]) {
      for (const match of readFileSync(file, 'utf8').matchAll(specifier)) {
        const name = packageOf(match[1]!);
        if (name.startsWith('node:') || builtins.has(name) || declared.has(name)) continue;
        undeclared.add(`${name} (${file.slice(root.length)})`);
      }
    }
    expect([...undeclared]).toEqual([]);
  });
});
