import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const IMPORT =
  /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every source file a module reaches through static and literal dynamic imports (type-only ones too), and the packages. */
function reach(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (!spec.startsWith('.')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        continue;
      }
      const ts = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      if (existsSync(ts)) visit(ts);
    }
  };
  visit(resolve(root, entry));
  return { files: [...files].map((f) => relative(root, f)), packages: [...packages] };
}

describe('a worker process loads no HTTP code', () => {
  for (const entry of ['src/worker/main.ts', 'src/worker/processor.ts']) {
    it(`${entry} reaches neither the API's files nor Fastify`, () => {
      const { files, packages } = reach(entry);
      expect(files.length).toBeGreaterThan(5);
      expect(files.filter((f) => /^src\/(api\/|app\.ts|server\.ts|runtime\.ts)/.test(f))).toEqual([]);
      expect(packages.filter((p) => p === 'fastify' || p.startsWith('@fastify/') || p === 'fastify-plugin')).toEqual(
        [],
      );
    });
  }

  it('sees the imports it checks: the API entry point reaches Fastify and the routes', () => {
    const { files, packages } = reach('src/server.ts');
    expect(files).toContain('src/api/routes/predict.ts');
    expect(packages).toContain('fastify');
  });
});

describe('src/schemas is the ground floor', () => {
  for (const file of readdirSync(resolve(root, 'src/schemas')).filter((f) => f.endsWith('.ts'))) {
    it(`src/schemas/${file} imports nothing of src outside src/schemas`, () => {
      expect(reach(`src/schemas/${file}`).files.filter((f) => !f.startsWith('src/schemas/'))).toEqual([]);
    });
  }
});

describe('inference reads the shared shape, not training', () => {
  for (const file of readdirSync(resolve(root, 'src/inference')).filter((f) => f.endsWith('.ts'))) {
    it(`src/inference/${file} reaches nothing of src/training, src/queue or src/api`, () => {
      expect(reach(`src/inference/${file}`).files.filter((f) => /^src\/(training|queue|api)\//.test(f))).toEqual([]);
    });
  }
});
