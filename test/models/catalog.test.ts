// The built-in catalog: what `mmcheck list` and `mmcheck mutants` promise is what the checker finds.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { catalog } from '../../models/catalog.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';
import { fileHeader } from '../../src/cli/commands/list.ts';
import { verdicts } from './verdicts.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/mmcheck.js', import.meta.url).pathname;

/** Runs the CLI; returns its exit code and stdout. */
async function mmcheck(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, stdout: err.stdout };
  }
}

describe('catalog', () => {
  it.each(catalog.map((c) => [c.name, c.file]))('%s: the declared expectations match the verdicts with default parameters', async (_name, file) => {
    // What `mmcheck list` shows must be what the checker finds.
    const def = (await import(new URL(`../../models/${file}`, import.meta.url).href)).default;
    const v = await verdicts(def);
    const seen = Object.fromEntries(Object.entries(v).map(([p, x]) => [p, x === 'holds' ? 'holds' : 'violated']));
    expect(seen).toEqual(def.expect);
  });

  it.each(catalog.map((c) => [c.name, c.file]))('%s: every declared variant (a path, an era) gets the verdicts it declares', async (_name, file) => {
    // What `mmcheck list` shows for each (model, parameters) row must be what the checker
    // finds: for a correct driver pattern, "holds" on every invalidating path.
    const def = (await import(new URL(`../../models/${file}`, import.meta.url).href)).default;
    for (const variant of def.variants ?? []) {
      const v = await verdicts(def, variant.params);
      const seen = Object.fromEntries(Object.entries(v).map(([p, x]) => [p, x === 'holds' ? 'holds' : 'violated']));
      expect([variant.params, seen]).toEqual([variant.params, variant.expect]);
    }
  });

  // The classic textbook models (models/classic/) stand for no kernel code.
  const kernelModels = catalog.filter((c) => c.file.startsWith('drivers/'));
  it.each(kernelModels.map((c) => [c.name, c.file]))('%s: the file opens with a header naming kernel functions (what explain prints)', (_name, file) => {
    const header = fileHeader(new URL(`../../models/${file}`, import.meta.url).pathname);
    expect(header.split('\n').length).toBeGreaterThan(5);
    expect(header).toMatch(/\w+\(\)|mm\/\w+\.c|drivers\//);
  });

  it('every mutant of every model is caught', async () => {
    for (const c of catalog) {
      const def = (await import(new URL(`../../models/${c.file}`, import.meta.url).href)).default;
      for (const r of await checkMutants(def)) expect([c.name, r.mutant.name, r.caught]).toEqual([c.name, r.mutant.name, true]);
    }
  });
});

describe('CLI: list, explain, mutants', () => {
  it('list shows every model with a verdict per property', async () => {
    const { code, stdout } = await mmcheck('list');
    expect(code).toBe(0);
    for (const c of catalog) expect(stdout).toContain(c.name);
    // use-after-free, coherence, write-protect, sleeping, deadlock freedom, progress; '-': the classic models' properties
    expect(stdout).toMatch(/^range-start-only\s+VIOLATED\s+VIOLATED\s+holds\s+holds\s+holds\s+holds(\s+-)*\s+0$/m);
    expect(stdout).toContain('P1 = no use-after-free');
    // One indented row per declared variant: kvm on MADV_DONTNEED holds every property.
    expect(stdout).toMatch(/^ {2}path=dontneed\s+holds\s+holds\s+holds\s+holds\s+holds/m);
  });

  it('explain prints the model file header (kernel functions and commits)', async () => {
    const { code, stdout } = await mmcheck('explain', 'kvm');
    expect(code).toBe(0);
    expect(stdout).toContain('virt/kvm/kvm_main.c (v4.13–v5.7, when mmu_lock was a spinlock)');
    expect(stdout).toContain('seq-in-start');
  });

  it('mutants prints the table and exits 0 when all are caught; 2 for a model without mutants', async () => {
    const ok = await mmcheck('mutants', 'iommu-invalidate-range');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^sleeping-invalidate-range\s+no sleeping under a spinlock\s+yes\s+5\s+45$/m);
    expect(ok.stdout).toContain('2 of 2 mutants caught');
    expect((await mmcheck('mutants', 'range-start-only')).code).toBe(2);
  });
});
