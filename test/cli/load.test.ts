// Model files load whatever their extension and their package's type: a `.ts` model outside an
// ESM package used to fail with "Cannot require() ES Module … in a cycle" even with no imports
// (tsx loads such a file as CommonJS; src/cli/model-format-hooks.mjs makes it an ES module).
// Each model lives in a fresh directory outside the repository, imports mmcheck by absolute
// path and a helper beside it, and must be checked to its one answer: 2 states, holds.
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../helpers.ts';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const src = join(root, 'src/index.ts');
const tmp = scratchDir('load');

function mmcheck(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/mmcheck.js', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A directory with `package.json` of the given type (none: no package.json at all), a helper and a model file. */
function modelIn(type: 'none' | 'commonjs' | 'module', ext: string, helperImport: string): string {
  const dir = join(tmp, `${type}-${ext}`);
  mkdirSync(dir);
  if (type !== 'none') writeFileSync(join(dir, 'package.json'), JSON.stringify({ type }));
  writeFileSync(join(dir, 'helper.ts'), "export const inc = { label: 'inc', do: (c: { shared: number }) => ({ shared: c.shared + 1 }) };\n");
  writeFileSync(
    join(dir, `model.${ext}`),
    [
      `import { defineModel, threadModel } from '${src}';`,
      `import { inc } from '${helperImport}';`,
      "export default defineModel({ name: 'counter', summary: 'one increment', params: {},",
      "  build: () => threadModel({ name: 'counter', shared: 0, threads: [{ name: 't', steps: [inc] }] }) });",
    ].join('\n'),
  );
  return join(dir, `model.${ext}`);
}

describe('model files load in any package', () => {
  it.each([
    ['none', 'ts', './helper'],
    ['commonjs', 'ts', './helper.ts'],
    ['module', 'ts', './helper.ts'],
    ['none', 'mts', './helper.ts'],
    ['commonjs', 'tsx', './helper'],
    ['commonjs', 'js', './helper.ts'],
    // A .cts/.cjs file written with import/export: an ES module, whatever its extension says.
    ['none', 'cts', './helper.ts'],
    ['module', 'cjs', './helper.ts'],
  ] as const)('%s package, a .%s model', (type, ext, helper) => {
    const r = mmcheck(['check', modelIn(type, ext, helper), '--workers', '1']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^holds: counter: every property holds/m);
    expect(r.out).toMatch(/^2 distinct states, 1 transitions, depth 1$/m);
  });

  it('a CommonJS model says why it cannot load and what to write', () => {
    const dir = join(tmp, 'cjs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.cjs'), `const { defineModel } = require('${src}');\nmodule.exports = { default: defineModel({ name: 'c', summary: 's', params: {}, build: () => null }) };\n`);
    const r = mmcheck(['check', join(dir, 'model.cjs')]);
    expect(r.code).toBe(2);
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
    // Either it loads (and build's null is reported) or the real cause is named.
    expect(r.err).toMatch(/build\(\) returned null|a CommonJS model \(\.cjs, \.cts\) cannot require\(\) mmcheck, an ES module package: write it with import\/export/);
  });
});
