// Guards the one shape every service shares (docs/architecture.md): the files each role lives in,
// where the environment is read, which way imports point, and how long files and functions may grow.
// Static: reads the sources with the TypeScript compiler API, runs nothing.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SERVICES = ['user', 'product', 'order', 'payment'] as const;
/** The files every service has at the top of `src/`, one per role. */
const ROLE_FILES = ['main.ts', 'config.ts', 'compose.ts', 'app.ts', 'workers.ts', 'migrate.ts'];
/** The one-shot CLIs may read the environment like main.ts does. */
const ENV_READERS = new Set(['main.ts', 'config.ts', 'migrate.ts', 'seed.ts', 'reconcile.ts']);
const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 60;

interface SourceFile {
  service: string;
  /** Relative to the service's `src/`, with forward slashes. */
  rel: string;
  abs: string;
  text: string;
  ast: ts.SourceFile;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const abs = path.join(dir, name);
    if (statSync(abs).isDirectory()) return walk(abs);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts') ? [abs] : [];
  });
}

const sources: SourceFile[] = SERVICES.flatMap((service) => {
  const src = path.join(ROOT, 'services', service, 'src');
  return walk(src).map((abs) => {
    const text = readFileSync(abs, 'utf8');
    return {
      service,
      rel: path.relative(src, abs).split(path.sep).join('/'),
      abs,
      text,
      ast: ts.createSourceFile(abs, text, ts.ScriptTarget.Latest, true),
    };
  });
});

/** Module specifiers of every import/export-from in the file, relative ones resolved to `src/`-relative paths. */
function importsOf(file: SourceFile): string[] {
  const specs: string[] = [];
  file.ast.forEachChild((node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const spec = node.moduleSpecifier.text;
      if (!spec.startsWith('.')) specs.push(spec);
      else
        specs.push(
          path.posix.normalize(path.posix.join(path.posix.dirname(file.rel), spec)).replace(/\.js$/, '.ts'),
        );
    }
  });
  return specs;
}

const roleOf = (rel: string) => {
  const base = path.posix.basename(rel);
  if (!rel.includes('/')) return base.replace(/\.ts$/, ''); // main, compose, app, workers, config, …
  const m = /\.(routes|schemas|service|repository|errors|consumer|client)\.ts$/.exec(base);
  return m ? m[1]! : 'module';
};

describe('every service has the same files, one per role', () => {
  it.each(SERVICES)('%s has main, config, compose, app, workers and migrate, and modules/', (service) => {
    const src = path.join(ROOT, 'services', service, 'src');
    const missing = ROLE_FILES.filter((f) => !existsSync(path.join(src, f)));
    expect(missing).toEqual([]);
    expect(existsSync(path.join(src, 'modules'))).toBe(true);
  });

  it.each(SERVICES)('%s: main.ts only composes, starts the workers and listens the one way', (service) => {
    const main = sources.find((f) => f.service === service && f.rel === 'main.ts')!;
    expect(main.text).toMatch(/compose\w*Service\(/);
    expect(main.text).toContain('startWorkers(');
    expect(main.text).toMatch(/kit\.listen\(server,/);
    expect(main.text).not.toMatch(/listenFastify|\.listen\((?!server)/);
  });

  it('a module that has routes also has its schemas, and every service file has its errors file', () => {
    const problems: string[] = [];
    for (const f of sources) {
      const m = /^modules\/([^/]+)\/([^/]+)\.(routes|service)\.ts$/.exec(f.rel);
      if (!m) continue;
      const [, dir, domain, role] = m;
      const sibling = (suffix: string) => `modules/${dir}/${domain}.${suffix}.ts`;
      const has = (rel: string) => sources.some((s) => s.service === f.service && s.rel === rel);
      if (role === 'routes' && !has(sibling('schemas')) && !/schemas\.js'/.test(f.text))
        problems.push(`${f.service}/${f.rel}: no ${domain}.schemas.ts`);
      if (role === 'service' && /Error\(/.test(f.text) && !has(sibling('errors')))
        problems.push(`${f.service}/${f.rel}: raises errors but has no ${domain}.errors.ts`);
    }
    expect(problems).toEqual([]);
  });

  it('there is one Dockerfile for every service, parameterised by name and port', () => {
    const perService = SERVICES.filter((s) => existsSync(path.join(ROOT, 'services', s, 'Dockerfile')));
    expect(perService).toEqual([]);
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/ARG SERVICE/);
    expect(dockerfile).toMatch(/ARG PORT/);
  });
});

describe('the environment is read in main.ts and config only', () => {
  it('no other source file reads process.env', () => {
    const readers = sources
      .filter((f) => !ENV_READERS.has(f.rel) && /process\.env\b/.test(f.text))
      .map((f) => `${f.service}/${f.rel}`);
    expect(readers).toEqual([]);
  });
});

describe('imports point down the layers', () => {
  /** [role of the importing file, what it must not import, why]. */
  const rules: Array<[RegExp, (spec: string) => boolean, string]> = [
    [
      /^repository$/,
      (s) => /\.(schemas|routes|service)\.ts$/.test(s) || isTop(s),
      'a repository knows SQL only',
    ],
    [
      /^service$/,
      (s) => /\.routes\.ts$/.test(s) || isTop(s) || /^(pg|fastify|express)$/.test(s),
      'a service knows neither HTTP nor pg',
    ],
    [
      /^(module|routes|schemas|errors|consumer|client)$/,
      (s) => isTop(s),
      'modules never reach up into the wiring',
    ],
    [
      /^workers$/,
      (s) => s === 'app.ts' || s === 'main.ts' || s === 'compose.ts',
      'workers never import the app',
    ],
    [
      /^app$/,
      (s) => s === 'main.ts' || s === 'compose.ts' || s === 'workers.ts',
      'the app is built from what it is given',
    ],
    [/^compose$/, (s) => s === 'main.ts', 'compose is called by main, not the reverse'],
  ];
  function isTop(spec: string) {
    return ['main.ts', 'compose.ts', 'app.ts', 'workers.ts'].includes(spec);
  }

  it('no file imports a layer above it', () => {
    const violations: string[] = [];
    for (const f of sources) {
      const role = roleOf(f.rel);
      for (const spec of importsOf(f))
        for (const [who, forbidden, why] of rules)
          if (who.test(role) && forbidden(spec)) violations.push(`${f.service}/${f.rel} → ${spec} (${why})`);
    }
    expect(violations).toEqual([]);
  });
});

describe('files and functions stay small enough to read', () => {
  it(`no source file under services/*/src has more than ${MAX_FILE_LINES} lines`, () => {
    const long = sources
      .map((f) => ({ file: `${f.service}/${f.rel}`, lines: f.text.split('\n').length }))
      .filter((f) => f.lines > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });

  it(`no function has more than ${MAX_FUNCTION_LINES} lines of its own`, () => {
    // A factory (`createOrdersService`) returns an object of methods, as a class body holds them: each
    // function is measured without the functions nested in it, which are measured on their own.
    const long: string[] = [];
    const linesOf = (f: SourceFile, node: ts.Node) =>
      f.ast.getLineAndCharacterOfPosition(node.getEnd()).line -
      f.ast.getLineAndCharacterOfPosition(node.getStart()).line +
      1;
    const isFunction = (n: ts.Node) =>
      ts.isFunctionDeclaration(n) ||
      ts.isFunctionExpression(n) ||
      ts.isArrowFunction(n) ||
      ts.isMethodDeclaration(n) ||
      ts.isConstructorDeclaration(n) ||
      ts.isGetAccessor(n) ||
      ts.isSetAccessor(n);
    const nestedLines = (f: SourceFile, node: ts.Node): number => {
      let sum = 0;
      node.forEachChild(function visit(child) {
        if (isFunction(child)) sum += linesOf(f, child);
        else child.forEachChild(visit);
      });
      return sum;
    };
    for (const f of sources) {
      f.ast.forEachChild(function visit(node) {
        if (isFunction(node)) {
          const own = linesOf(f, node) - nestedLines(f, node);
          if (own > MAX_FUNCTION_LINES) {
            const { line } = f.ast.getLineAndCharacterOfPosition(node.getStart());
            long.push(`${f.service}/${f.rel}:${line + 1} (${own} lines)`);
          }
        }
        node.forEachChild(visit);
      });
    }
    expect(long).toEqual([]);
  });
});

describe('the kit stays small', () => {
  const exportsOf = (file: string) => {
    const ast = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const names: string[] = [];
    ast.forEachChild((node) => {
      if (ts.isExportDeclaration(node) && node.exportClause && ts.isNamedExports(node.exportClause))
        for (const el of node.exportClause.elements) names.push(el.name.text);
    });
    return names;
  };
  const workspaceSources = (dirs: string[]) =>
    dirs.flatMap((d) => (existsSync(path.join(ROOT, d)) ? walkAll(path.join(ROOT, d)) : []));
  function walkAll(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      if (name === 'node_modules' || name === 'dist') return [];
      const abs = path.join(dir, name);
      if (statSync(abs).isDirectory()) return walkAll(abs);
      return /\.tsx?$/.test(name) ? [abs] : [];
    });
  }

  it('every name of the root entry is used outside the kit or documented as an extension point', () => {
    const root = exportsOf(path.join(ROOT, 'packages/service-kit/src/index.ts'));
    const readme = readFileSync(path.join(ROOT, 'packages/service-kit/README.md'), 'utf8');
    const publicApi = readme.slice(readme.indexOf('## Public API'), readme.indexOf('### Config'));
    const imported = new Set<string>();
    for (const file of workspaceSources(['services', 'tests', 'bench', 'packages'])) {
      if (file.includes(`${path.sep}service-kit${path.sep}`)) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'@shop\/service-kit'/g))
        for (const name of m[1]!.split(','))
          imported.add(
            name
              .replace(/\btype\b/, '')
              .split(' as ')[0]!
              .trim(),
          );
    }
    const unused = root.filter((name) => !imported.has(name) && !new RegExp(`\\b${name}\\b`).test(publicApi));
    expect(unused).toEqual([]);
  });

  it('there is one way to listen', () => {
    const fastifyEntry = readFileSync(path.join(ROOT, 'packages/service-kit/src/fastify/index.ts'), 'utf8');
    expect(fastifyEntry).not.toMatch(/listenFastify/);
    const plugin = readFileSync(
      path.join(ROOT, 'packages/service-kit/src/fastify/service-kit.plugin.ts'),
      'utf8',
    );
    expect(plugin).not.toMatch(/'onListen'/);
  });
});
