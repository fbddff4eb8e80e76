// Partial-order reduction on the vector engine gives the immutable engine's answer: the same
// states, transitions, depth and printed counterexamples on every vectorizable built-in
// model and mutant (alone and with symmetry), and on random models with correct, wrong and
// missing declarations — where both engines must agree on the verdict or both stop with a
// declaration error (they may name different first offenders: the vector engine checks a
// step once per memo leaf, the immutable one on each state expanded).
import { describe, expect, it } from 'vitest';
import { catalog } from '../../models/catalog.ts';
import { buildModel } from '../../src/check.ts';
import { runSearch } from '../../src/explore/engine.ts';
import type { CheckResult } from '../../src/explore/result.ts';
import type { Model } from '../../src/model/model.ts';
import { reductionFor, type ReductionChoice } from '../../src/reduce/reduction.ts';
import { answerOf } from '../helpers.ts';
import { randomModel, type RandomModelOptions } from './random-models.ts';
import { Record as IRecord } from 'immutable';
import { threadModel } from '../../src/model/dsl.ts';
import { check } from '../../src/check.ts';

async function search(model: Model<any, any>, engine: 'immutable' | 'vector', choice: ReductionChoice): Promise<CheckResult> {
  const red = reductionFor(model, choice);
  return runSearch(model, { engine, allProperties: true, reductions: choice, reduction: red.ok ? red.reduction : undefined });
}

const NOT_VECTOR = new Set(['range-start-only', 'hmm-mirror']);

describe('partial-order reduction on the vector engine', () => {
  for (const c of catalog.filter((x) => !NOT_VECTOR.has(x.name))) {
    it(`${c.name} and its mutants: the immutable engine's answer, with and without symmetry`, async () => {
      const def = (await import(new URL(`../../models/${c.file}`, import.meta.url).href)).default;
      for (const params of [{}, ...(def.mutants ?? []).map((m: { params: Record<string, unknown> }) => m.params)]) {
        for (const choice of [{ por: true }, { por: true, symmetry: true }]) {
          const reference = await search(buildModel(def, params), 'immutable', choice);
          const vector = await search(buildModel(def, params), 'vector', choice);
          expect(vector.stats.engine).toBe('vector');
          expect(answerOf(vector), `${c.name} ${JSON.stringify(params)} ${JSON.stringify(choice)}`).toEqual(answerOf(reference));
        }
      }
    });
  }

  const kinds: [string, RandomModelOptions][] = [
    ['correct', {}],
    ['wrong', { wrong: true }],
    ['half undeclared', { undeclared: 0.5 }],
    ['branched', { branches: true }],
  ];
  for (const [kind, options] of kinds) {
    it(`random models with ${kind} declarations: the same verdict, or a declaration error on both engines`, async () => {
      let compared = 0;
      for (let seed = 1; compared < 40; seed++) {
        const reference = await search(randomModel(seed, options), 'immutable', { por: true });
        if (reference.status === 'incomplete') continue;
        compared++;
        const vector = await search(randomModel(seed, options), 'vector', { por: true });
        const label = `seed ${seed} (${kind})`;
        if (reference.status === 'error') {
          expect(vector.status, `${label}: ${reference.error.message}`).toBe('error');
          continue;
        }
        expect(answerOf(vector), label).toEqual(answerOf(reference));
      }
    });
  }

  it('checks a footprint once per memo leaf: an undeclared read first met after 80 states is caught (not "holds")', async () => {
    // The ticker counts to 80 before reclaim and the driver may move, so the vector engine's
    // early cross-check with the immutable engine (its first 64 states) does not see 'map';
    // its leaf for 'map' at ticks = 80 is where the undeclared read of 'pte' must be caught.
    const Shared = IRecord<{ pte: number | null; spte: number | null; ticks: number }>({ pte: 0, spte: null, ticks: 0 });
    type S = ReturnType<typeof Shared>;
    const model = () =>
      threadModel<S>({
        name: 'late-undeclared-read',
        shared: Shared(),
        threads: [
          { name: 'ticker', steps: [{ label: 'tick', reads: ['ticks'], writes: ['ticks'], targets: ['tick'], when: ({ shared }) => shared.ticks < 80, do: ({ shared }) => ({ shared: shared.set('ticks', shared.ticks + 1), goto: shared.ticks + 1 < 80 ? 'tick' : 'done' }) }] },
          { name: 'reclaim', steps: [{ label: 'zap_pte', reads: ['ticks'], writes: ['pte'], when: ({ shared }) => shared.ticks === 80, do: ({ shared }) => ({ shared: shared.set('pte', null) }) }] },
          { name: 'driver', steps: [{ label: 'map', reads: ['ticks'], writes: ['spte'], when: ({ shared }) => shared.ticks === 80, do: ({ shared }) => ({ shared: shared.set('spte', shared.pte) }) }] },
        ],
        invariants: [{ name: 'no mapping of the page being freed', reads: ['spte'], check: ({ shared }) => (shared.spte === 0 ? 'spte maps page 0' : null) }],
      });
    expect((await check(model())).status).toBe('violated');
    const r = await check(model(), { por: true, engine: 'vector' });
    expect(r.stats.engine).toBe('vector');
    expect(r.status === 'error' && r.error.message).toMatch(/thread 'driver', step 'map': reads 'pte', which its footprint does not declare/);
  });
});
