// Soundness of the reductions, tested on random models: partial-order reduction, symmetry
// reduction and both must find exactly the violated properties the full search finds, with
// counterexamples that replay in the unreduced model.
import { describe, expect, it } from 'vitest';
import { expectSameVerdicts } from './compare.ts';
import { randomModel } from './random-models.ts';

const MODELS = 300;
/** Models whose full state space is larger are skipped (and replaced by the next seed), to keep CI fast. */
const MAX_STATES = 1500;

describe('reductions on random models', () => {
  it(`find the same violated properties as the full search on ${MODELS} random models`, async () => {
    let reducedByPor = 0;
    let reducedBySymmetry = 0;
    let tested = 0;
    for (let seed = 1; tested < MODELS; seed++) {
      const counts = await expectSameVerdicts(() => randomModel(seed), `random model seed ${seed}`, MAX_STATES);
      if (counts === null) continue;
      tested++;
      if (counts.por < counts.none) reducedByPor++;
      if (counts.symmetry !== undefined && counts.symmetry < counts.none) reducedBySymmetry++;
    }
    // The reductions must actually reduce something on a good share of the models,
    // else the equal verdicts above prove little.
    expect(reducedByPor).toBeGreaterThan(MODELS / 5);
    expect(reducedBySymmetry).toBeGreaterThan(MODELS / 5);
  });
});
