// Soundness of the reductions, tested on random models: partial-order reduction, symmetry
// reduction and both must find exactly the violated properties the full search finds, with
// counterexamples that replay in the unreduced model — and, with deliberately wrong
// footprint declarations, partial-order reduction must stop with a declaration error or
// still find exactly those properties, never a different answer without an error; with
// declarations left out, it infers the footprints and still finds exactly those.
import { describe, expect, it } from 'vitest';
import { expectNoSilentDifference, expectSameVerdicts, SAFETY } from './compare.ts';
import { randomModel } from './random-models.ts';
import { bfs } from '../../src/explore/bfs.ts';
import { ASSERTIONS } from '../../src/model/assertion.ts';

const MODELS = 300;
/** Fewer for inference: each reduced search is preceded by a learning search. */
const INFERRED = 60;
/** Models with assertions. */
const ASSERTING = 40;
/** Models with branches. */
const BRANCHING = 40;
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

  it(`never answer differently from the full search without an error on ${MODELS} random models with wrong declarations`, async () => {
    const outcomes = { error: 0, reduced: 0, same: 0 };
    let tested = 0;
    for (let seed = 1; tested < MODELS; seed++) {
      const r = await expectNoSilentDifference(() => randomModel(seed, { wrong: true }), `random model seed ${seed} with wrong declarations`, MAX_STATES);
      if (r === null) continue;
      tested++;
      if (r.por !== undefined) outcomes[r.por]++;
    }
    // The mistakes must show on most models (else the test proves little). Without the
    // footprint check (checkStep and checkInvariant made no-ops, by hand), 7 of these 300
    // models answer differently from the full search with nothing said: seeds 8, 12, 27,
    // 39, 63, 230 and 294. With it, each of those stops with a declaration error.
    expect(outcomes.error, JSON.stringify(outcomes)).toBeGreaterThan(MODELS / 2);
  });

  it(`infer the footprints of steps and invariants that declare none: the same violated properties on ${INFERRED} random models`, async () => {
    let reduced = 0;
    let tested = 0;
    for (let seed = 1; tested < INFERRED; seed++) {
      // Every other model declares nothing at all, the others half of it; on every other
      // pair the learning search stops after 5 states, so the reduced searches meet keys
      // not yet inferred and start again (as they do on models bigger than the learning search).
      const undeclared = seed % 2 === 0 ? 1 : 0.5;
      const learning = seed % 4 < 2 ? 5 : undefined;
      const counts = await expectSameVerdicts(() => randomModel(seed, { undeclared }), `random model seed ${seed} with ${undeclared * 100}% undeclared`, MAX_STATES, learning);
      if (counts === null) continue;
      tested++;
      if (counts.por < counts.none) reduced++;
    }
    expect(reduced).toBeGreaterThan(INFERRED / 5);
  });

  it(`keep every assertion failure: the same violated properties on ${ASSERTING} random models whose steps assert`, async () => {
    // An assertion is checked on the transition that runs it and depends only on what that
    // step reads (docs/reduce.md): along steps independent of it the step keeps failing, and
    // the cycle proviso takes it eventually, so no proviso is needed — as for sleeping.
    let failing = 0;
    let reduced = 0;
    let tested = 0;
    for (let seed = 1; tested < ASSERTING; seed++) {
      const counts = await expectSameVerdicts(() => randomModel(seed, { asserts: true }), `random model seed ${seed} with assertions`, MAX_STATES);
      if (counts === null) continue;
      tested++;
      if (counts.por < counts.none) reduced++;
      const full = await bfs(randomModel(seed, { asserts: true }), { allProperties: true, ...SAFETY });
      if (full.status === 'violated' && full.violations.some((v) => v.property === ASSERTIONS)) failing++;
    }
    expect(failing).toBeGreaterThan(ASSERTING / 4);
    expect(reduced).toBeGreaterThan(ASSERTING / 5);
  });

  it(`find the same violated properties on ${BRANCHING} random models whose steps have branches with their own guards and locks`, async () => {
    // Each branch's lock is a write of the step (thread-independence.ts adds branch locks by
    // name) and each branch's guard and effect lie within the step's declared reads/writes.
    let reduced = 0;
    let branchy = 0;
    for (let seed = 1, tested = 0; tested < BRANCHING; seed++) {
      const counts = await expectSameVerdicts(() => randomModel(seed, { branches: true }), `random model seed ${seed} with branches`, MAX_STATES);
      if (counts === null) continue;
      tested++;
      if (counts.por < counts.none) reduced++;
      // The branches changed the model (the generator gave it some): another number of transitions.
      const plain = await bfs(randomModel(seed), { allProperties: true, maxStates: MAX_STATES });
      const branched = await bfs(randomModel(seed, { branches: true }), { allProperties: true });
      if (plain.stats.transitions !== branched.stats.transitions) branchy++;
    }
    expect(branchy).toBeGreaterThan(BRANCHING / 2);
    expect(reduced).toBeGreaterThan(BRANCHING / 5);
  });
});
