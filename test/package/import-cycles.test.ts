// No import cycles in src/ or models/ (as zod's build fails on one): a cycle makes the order
// modules initialise in depend on which file is loaded first, and two files that need each
// other are one concept split badly. Type-only imports count too. Cycles this test found and
// that were broken: src/model/dsl.ts ↔ src/reduce (the DSL's spec types moved to
// src/model/thread-spec.ts), six files of src/parallel, now src/search (the table refs moved beside the
// table, the worker's model import to imported-model.ts), src/cli/load.ts ↔ typecheck.ts
// (UsageError to its own file), and the two model catalogs (models/catalog-entry.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, sourceFiles } from './source-shape.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('import cycles', () => {
  it('src/ and models/ have none', () => {
    const graph = importGraph(ROOT, sourceFiles(ROOT, ['src', 'models']));
    // Proof the graph was read: the search's entry imports files of its own folder.
    expect(graph.get('src/check.ts')?.length ?? 0).toBeGreaterThan(3);
    const cycles = importCycles(graph).map((c) => c.join(' → '));
    expect(cycles, `import cycles (break each: move what both files need into a third, or invert one import):\n${cycles.join('\n')}`).toEqual([]);
  });

  it('finds a cycle through type-only imports, re-exports and import()', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmcheck-cycles-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.ts';\nexport type A = B;\n");
      writeFileSync(join(dir, 'b.ts'), "export { c } from './c.ts';\nexport type B = number;\n");
      writeFileSync(join(dir, 'c.ts'), "export const c = () => import('./a.ts');\n");
      writeFileSync(join(dir, 'd.ts'), "import { c } from './c.ts';\nexport const d = c;\n");
      const cycles = importCycles(importGraph(dir, sourceFiles(dir, ['.'])));
      expect(cycles).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
