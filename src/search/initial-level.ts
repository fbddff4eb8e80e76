// Level 0 of the search: the initial states, validated, keyed, stored and encoded on this
// thread, and their invariants checked in order.
import { ModelError, errorText } from '../model/errors.ts';
import type { CheckResult } from '../explore/result.ts';
import { ByteSink } from '../state/codec.ts';
import { NotVectorizableError } from '../state/layout.ts';
import { packVector } from '../state/packed.ts';
import { validateState } from '../state/validate.ts';
import { BlockBuilder } from './blocks.ts';
import type { NeedsImmutable } from './level-options.ts';
import type { SearchState } from './search-state.ts';
import { GROWTH, MAX_LOAD, partitionOf } from './shared-seen-set.ts';
import { ROOT } from './trace-store.ts';

/**
 * Makes the initial states the search's first level (`s.level`, `s.levelSize`), or returns
 * why the search cannot begin: a model error, or (vector engine) a state with no fixed layout.
 */
export function initialLevel(s: SearchState): CheckResult | NeedsImmutable | undefined {
  const { model, main, options } = s;
  try {
    const inits = model.initStates();
    const sink = new ByteSink(1 << 12);
    const out = new BlockBuilder();
    out.reset(s.workers, false);
    const fp = new Uint32Array(2);
    const vec = s.engine === 'vector' ? new Int32Array(main.vector!.width) : null;
    const kept: number[] = [];
    for (let i = 0; i < inits.length; i++) {
      const state = inits[i];
      validateState(state);
      if (vec !== null) {
        main.vector!.encode(state, vec);
        // Through the vector model too, so its record of what invariants read covers these
        // states' verdicts (their successors are checked only where a step can change one).
        for (let q = 0; q < main.vector!.invariantCount; q++) main.vector!.checkInvariant(q, vec);
      } else main.codec.learnFrom(state);
      s.keyOf(state, fp);
      if (!s.parts[partitionOf(fp[0], s.workers)].insertGrowing(fp[0], fp[1], MAX_LOAD, GROWTH)) continue;
      if (options.maxStates !== undefined && kept.length >= options.maxStates) {
        // An (N+1)-th initial state under --max-states N: not counted, and the search ends here.
        s.stopWith('max-states', `max states ${options.maxStates} reached`);
        break;
      }
      kept.push(i);
      s.liveness?.initial(fp[0], fp[1]);
      // A vector level stores each state's own fingerprint only without symmetry (then it is the key).
      out.push(fp[0], fp[1], ROOT, i, vec !== null ? packVector(vec, sink) : main.codec.encode(state, sink), -1);
    }
    s.level = [out.finish(sink, true)];
    s.distinct = s.levelSize = kept.length;
    s.traces.addLevel(new Uint32Array(kept.length).fill(ROOT), Uint16Array.from(kept));
    // Invariants of the initial states, in order.
    kept.forEach((i, k) => {
      for (const inv of main.invariants) {
        if (s.violated.has(inv.name)) continue;
        const msg = inv.check(inits[i]);
        if (msg !== null) s.record({ property: inv.name, kind: 'invariant', message: msg, trace: s.traces.traceTo(model, k, undefined, undefined, s.keyOf) }, { index: k });
      }
    });
  } catch (e) {
    if (e instanceof NotVectorizableError) return { status: 'needs-immutable', reason: e.message };
    // A model error (an invariant's bad result) already says where; anything else happened here.
    return s.errorResult(e instanceof ModelError ? e.message : `the initial state: ${errorText(e)}`, (e as Error)?.stack);
  }
  return undefined;
}
