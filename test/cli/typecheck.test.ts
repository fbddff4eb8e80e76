// `--typecheck`: a model file's type errors are printed one a line (file:line:col: error
// TSnnnn: message) before any of its code runs, and the run stops with exit 2 (issue 21: type
// errors in a model were found only by running tsc by hand). A model that type-checked is
// remembered by a hash of its inputs; an edit that brings a type error must be checked again.
// The models import nothing (a check of mmcheck's own sources would take seconds) and throw
// at their top level, so "the model ran" is visible in what mmcheck says.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'mmcheck-typecheck-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** mmcheck run in the temporary directory, whose TMPDIR also holds the remembered checks. */
function mmcheck(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/mmcheck.js'), ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const RUNS = "throw new Error('the model ran');\n";

describe('--typecheck', () => {
  it('prints each type error as file:line:col before the model runs, exit 2', () => {
    writeFileSync(join(tmp, 'bad.ts'), `const faults: number = 'two';\nconst label: string = faults;\n${RUNS}`);
    const r = mmcheck(['check', 'bad.ts', '--typecheck']);
    expect(r.err.split('\n')).toEqual([
      "bad.ts:1:7: error TS2322: Type 'string' is not assignable to type 'number'.",
      "bad.ts:2:7: error TS2322: Type 'number' is not assignable to type 'string'.",
      "mmcheck: error: model 'bad.ts' has 2 type errors (above): fix them, or run it anyway with --no-typecheck",
      '',
    ]);
    expect(r.code).toBe(2);
  });

  it('--no-typecheck runs the model as it is', () => {
    const r = mmcheck(['check', 'bad.ts', '--no-typecheck']);
    expect(r.err).toMatch(/failed to load: the model ran/);
    expect(r.err).not.toMatch(/TS2322/);
    expect(r.code).toBe(2);
  });

  it('a model that type-checked is checked again once it changes', () => {
    writeFileSync(join(tmp, 'edited.ts'), `const faults: number = 2;\n${RUNS}`);
    expect(mmcheck(['check', 'edited.ts', '--typecheck']).err).toMatch(/the model ran/);
    writeFileSync(join(tmp, 'edited.ts'), `const faults: number = 'two';\n${RUNS}`);
    const r = mmcheck(['check', 'edited.ts', '--typecheck']);
    expect(r.err).toMatch(/^edited\.ts:1:7: error TS2322/m);
    expect(r.err).not.toMatch(/the model ran/);
  });

  it('is skipped by default where no TypeScript is installed, and refused for a JavaScript model', () => {
    // The temporary directory has no node_modules/typescript: the model runs unchecked.
    expect(mmcheck(['check', 'bad.ts']).err).toMatch(/failed to load: the model ran/);
    writeFileSync(join(tmp, 'plain.js'), RUNS);
    const r = mmcheck(['check', 'plain.js', '--typecheck']);
    expect(r.err).toBe("mmcheck: error: --typecheck: 'plain.js' is not a TypeScript file (.ts, .mts, .cts, .tsx)\n");
    expect(r.code).toBe(2);
  });

  it('mutants takes it too', () => {
    expect(mmcheck(['mutants', 'bad.ts', '--typecheck']).err).toMatch(/^bad\.ts:1:7: error TS2322/m);
  });
});
