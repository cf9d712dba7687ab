// The services' bundles (`npm run build`: tsc, then esbuild) as the image ships them. Their source maps
// chain through tsc's maps to the TypeScript sources, so a stack printed with `--enable-source-maps`
// names `src/…ts` lines rather than a line of a 3 MB bundle.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SHOP_SERVICES, shopImageCommand, shopServiceDir } from '@shop/testing';
import { describe, expect, it } from 'vitest';

describe('service bundles', () => {
  it.each(SHOP_SERVICES)('%s: the bundle the image starts maps back to the TypeScript sources', (name) => {
    const dir = shopServiceDir(name);
    const { entry } = shopImageCommand();
    const bundle = readFileSync(dir + entry, 'utf8');
    expect(bundle).toContain(`//# sourceMappingURL=${entry.split('/').pop()}.map`);
    const map = new SourceMap(JSON.parse(readFileSync(`${dir}${entry}.map`, 'utf8')));

    // The line of the bundle that calls bootstrapService: it was written in the service's src/main.ts.
    const lines = bundle.split('\n');
    const line = lines.findIndex((l) => /\bbootstrapService\(\{/.test(l));
    expect(line).toBeGreaterThan(0);
    const origin = map.findEntry(line, lines[line]!.indexOf('bootstrapService'));
    expect('originalSource' in origin, JSON.stringify(origin)).toBe(true);
    const source = fileURLToPath(
      new URL((origin as { originalSource: string }).originalSource, pathToFileURL(dir + entry)),
    );
    expect(source).toBe(`${dir}src/main.ts`);
  });
});
