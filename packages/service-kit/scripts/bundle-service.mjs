#!/usr/bin/env node
// Bundles a built service (run from its directory after `tsc`): `dist/main.js` and the kit's telemetry
// entry become two ES module entries sharing chunks (`dist/chunks/`), so the kit's tracing state is one
// instance for both, and the process loads a few files instead of ~1,500 modules: cold start is mostly
// module loading (README "Performance"). The Dockerfile's CMD starts the bundle:
//   node --import ./dist/telemetry.bundle.js dist/main.bundle.js
// esbuild: the bundler Vite already brings into the lockfile; no minification, so stack traces stay readable.
// Linked source maps, chained through tsc's own maps to the TypeScript sources: Node reads them only when
// started with --enable-source-maps (NODE_OPTIONS, when debugging), so they cost nothing otherwise.
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { BUNDLE_ENTRIES, BUNDLE_EXTERNALS } from '../dist/telemetry/bundling.js';

const require = createRequire(import.meta.url);
const outdir = 'dist';
rmSync(`${outdir}/chunks`, { recursive: true, force: true });

const result = await build({
  entryPoints: {
    [BUNDLE_ENTRIES.main.replace(/^dist\/|\.js$/g, '')]: 'dist/main.js',
    [BUNDLE_ENTRIES.telemetry.replace(/^dist\/|\.js$/g, '')]: require.resolve(
      '../dist/telemetry/register.js',
    ),
  },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  external: BUNDLE_EXTERNALS.flatMap((name) => [name, `${name}/*`]),
  // CommonJS dependencies inlined into an ES module still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __shopCreateRequire } from 'node:module'; const require = __shopCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});

// A CommonJS package that finds files beside its own sources would look for them beside the bundle
// instead: such a package belongs in BUNDLE_EXTERNALS. Fail the build rather than the first request.
const offenders = Object.entries(result.metafile.inputs)
  .filter(([file]) => file.includes('node_modules/'))
  .filter(([file]) => /\b__dirname\b|\b__filename\b/.test(readFileSync(file, 'utf8')))
  .map(([file]) => file);
if (offenders.length > 0) {
  console.error(
    `bundle-service: these modules use __dirname/__filename; add their packages to BUNDLE_EXTERNALS:\n  ${offenders.join('\n  ')}`,
  );
  process.exit(1);
}
