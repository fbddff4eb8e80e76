// The vector engine gives the immutable engine's answer — the same distinct states,
// transitions, depth, largest level, and the same printed counterexamples — on every model
// of the catalog, every mutant, with symmetry reduction, and on random thread models (whose
// shared state is a List, so what tracking cannot see is keyed whole). This is the test of
// the memo tries' soundness (src/model/dsl-vector.ts): a leaf that answered for a state it
// does not fit would change a count or a trace somewhere here.
import { describe, expect, it } from 'vitest';
import { catalog } from '../../models/catalog.ts';
import { buildModel } from '../../src/check.ts';
import { runSearch, type RunOptions } from '../../src/explore/engine.ts';
import { answerOf as answer } from '../helpers.ts';
import type { Model } from '../../src/model/model.ts';
import { reductionFor, type ReductionChoice } from '../../src/reduce/reduction.ts';
import { randomModel } from '../reduce/random-models.ts';
import { threadModel } from '../../src/model/dsl.ts';
import { renderStats } from '../../src/trace/text.ts';

/** Both engines' answers on `model`, and which engine 'auto' picked (with its note). */
async function both(model: () => Model<any, any>, options: RunOptions = {}, reductions: ReductionChoice = {}) {
  const run = async (engine: 'immutable' | 'auto') => {
    const m = model();
    const red = reductionFor(m, reductions);
    if (!red.ok) throw new Error(red.reason);
    return runSearch(m, { ...options, engine, reductions, reduction: red.reduction });
  };
  const reference = await run('immutable');
  const vector = await run('auto');
  return { reference, vector, engine: vector.stats.engine, note: vector.stats.engineNote };
}

// Models whose states have no fixed layout (the vector engine falls back to Immutable values
// for them, and says why): none in the catalog. two-phase-commit, a plain Model, gets the
// vector engine since its states hold flags where TwoPhase.tla has sets (plain-vector.ts).
const NOT_VECTOR = new Set<string>([]);

describe('vector engine: the same answer as the immutable engine', () => {
  for (const c of catalog) {
    it(`${c.name}, its mutants, --all-properties and --symmetry`, async () => {
      const def = (await import(new URL(`../../models/${c.file}`, import.meta.url).href)).default;
      const variants: Record<string, unknown>[] = [{}, ...(def.mutants ?? []).map((m: { params: Record<string, unknown> }) => m.params)];
      for (const params of variants) {
        for (const allProperties of [false, true]) {
          const r = await both(() => buildModel(def, params), { allProperties });
          expect(r.engine, `${c.name} ${JSON.stringify(params)}: ${r.note}`).toBe(NOT_VECTOR.has(c.name) ? 'immutable' : 'vector');
          expect(answer(r.vector)).toEqual(answer(r.reference));
        }
      }
      if (buildModel(def, {}).symmetry === undefined) return; // a raw Model with no thread groups
      const sym = await both(() => buildModel(def, {}), { allProperties: true }, { symmetry: true });
      expect(answer(sym.vector)).toEqual(answer(sym.reference));
    });
  }

  it('kvm with 2 addresses and 2 vCPU threads (324,352 states); with symmetry over 3 vCPU threads', async () => {
    const def = (await import('../../models/drivers/kvm.ts')).default;
    // The classic kernel side: the benchmark's fixed state space (models/mm/classic.ts).
    const params = { addresses: 2, faults: 2, attempts: 2, path: 'classic' };
    const plain = await both(() => buildModel(def, params));
    expect(plain.engine).toBe('vector');
    expect(answer(plain.vector)).toEqual(answer(plain.reference));
    expect(plain.vector.stats.distinctStates).toBe(324_352);
    // Steps were run for a tiny fraction of the (state, thread) pairs met: the memo answered the rest.
    const memo = plain.vector.stats.memo!;
    expect(memo.misses).toBeLessThan(memo.hits / 100);
    // Symmetry on 3 interchangeable vCPU threads: 6,456 states reduced to 1,420 (docs/reduce.md).
    const sym = await both(() => buildModel(def, { faults: 3, path: 'classic' }), {}, { symmetry: true });
    expect(answer(sym.vector)).toEqual(answer(sym.reference));
    expect(sym.vector.stats.distinctStates).toBe(1420);
  });

  it('on 150 random thread models (guards, choices, loops, locks, sleeping steps, groups), with and without symmetry', async () => {
    for (let seed = 1; seed <= 150; seed++) {
      for (const reductions of [{}, { symmetry: true }] as ReductionChoice[]) {
        const r = await both(() => randomModel(seed), { allProperties: true }, reductions);
        expect(r.engine, `seed ${seed}`).toBe('vector');
        expect(answer(r.vector), `seed ${seed} ${JSON.stringify(reductions)}`).toEqual(answer(r.reference));
      }
    }
  });

  it('on 30 random thread models whose steps assert (the property assertions; threads stopped by a failure), with and without symmetry', async () => {
    let failing = 0;
    for (let seed = 1; seed <= 30; seed++) {
      for (const reductions of [{}, { symmetry: true }] as ReductionChoice[]) {
        const r = await both(() => randomModel(seed, { asserts: true }), { allProperties: true }, reductions);
        expect(r.engine, `seed ${seed}`).toBe('vector');
        expect(answer(r.vector), `seed ${seed} ${JSON.stringify(reductions)}`).toEqual(answer(r.reference));
        if (r.reference.status === 'violated' && r.reference.violations.some((v) => v.property === 'assertions')) failing++;
      }
    }
    expect(failing).toBeGreaterThan(15);
  });

  it('on 20 random thread models whose steps have branches with their own guards and locks, with and without symmetry', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      for (const reductions of [{}, { symmetry: true }] as ReductionChoice[]) {
        const r = await both(() => randomModel(seed, { branches: true }), { allProperties: true }, reductions);
        expect(r.engine, `seed ${seed}`).toBe('vector');
        expect(answer(r.vector), `seed ${seed} ${JSON.stringify(reductions)}`).toEqual(answer(r.reference));
      }
    }
  });

  it('the vector engine is chosen only where it can run: --por runs on it (the same answer), coverage hooks on Immutable values, and say so', async () => {
    const def = (await import('../../models/drivers/kvm.ts')).default;
    const por = await both(() => buildModel(def, { addresses: 2 }), {}, { por: true });
    expect(por.engine).toBe('vector');
    expect(answer(por.vector)).toEqual(answer(por.reference));
    const cov = await runSearch(buildModel(def, {}), { onTransition: () => undefined });
    expect(cov.stats.engine).toBe('immutable');
    expect(cov.stats.engineNote).toMatch(/per-transition hooks/);
  });

  it("--engine vector on a model without a fixed layout is an error that says where", async () => {
    const def = (await import('../fixtures/growing-list.ts')).default;
    const r = await runSearch(buildModel(def, {}), { engine: 'vector' });
    expect(r.status).toBe('error');
    if (r.status !== 'error') return;
    expect(r.error.message).toMatch(/^--engine vector: .*shared: a List of 1 where the initial state had 0 items/);
    const auto = await runSearch(buildModel(def, {}), {});
    expect(auto.stats.engine).toBe('immutable');
    expect(auto.stats.engineNote).toMatch(/no fixed layout of slots \(shared: a List of 1/);
  });

  it('names the strings that got hashed codes, and says to declare them', async () => {
    const model = (strings?: string[]) =>
      threadModel<string>({
        name: 'enum',
        shared: 'idle',
        ...(strings !== undefined ? { strings } : {}),
        threads: [{ name: 't', steps: [{ label: 'run', do: () => ({ shared: 'running' }) }, { label: 'stop', do: () => ({ shared: 'stopped' }) }] }],
      });
    const plain = await runSearch(model(), { workers: 1 });
    expect(plain.stats.engine).toBe('vector');
    expect(plain.stats.hashedStrings).toEqual(['running', 'stopped']);
    expect(renderStats(plain.stats)).toContain('note: the states held 2 strings in no initial state ("running", "stopped"); listing them in the model\'s `strings`');
    const declared = await runSearch(model(['running', 'stopped']), { workers: 1 });
    expect(declared.stats.hashedStrings).toBeUndefined();
    expect(renderStats(declared.stats)).not.toContain('note:');
    expect(answer(declared)).toEqual(answer(plain));
  });
});
