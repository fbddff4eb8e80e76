// Whether the vector engine pays for a model, judged while it runs: `--engine auto` gives it
// up for Immutable values when its memo misses too often. A miss runs the step on a decoded
// Immutable state with tracking, encodes its results and grows a trie — about three times
// what the immutable engine spends on a whole state (bench/element-tracking.ts: a List of
// counters whose steps each read every counter missed 4.8 times a state and ran 13× slower
// than on Immutable values). So past the tries' warm-up, a search that misses more than
// MAX_MISSES_PER_STATE times per state expanded is switched over, and the summary says why.
// The kernel models miss far less, warm-up included: kvm 2/2/2 267 times in its first 3,204
// states (0.08 a state), umem-odp 2 faults 234 in 2,636, migration 198 in 2,805; 906 times in
// all of kvm's 324,352 states.
import type { MemoStats } from '../model/vector.ts';
import { count } from '../trace/text.ts';

/** States expanded before misses are counted: the tries fill from empty first. */
export const WARM_UP_STATES = 2_000;
/** States expanded after the warm-up before the engine is judged. */
export const JUDGED_STATES = 3_000;
/** Past this many states expanded the search keeps its engine: restarting would cost more than it saves. */
export const LAST_JUDGED_STATES = 2_000_000;
/** Misses per state expanded above which the vector engine runs slower than Immutable values. */
export const MAX_MISSES_PER_STATE = 0.5;

/**
 * Judges, after each level of a vector-engine search, whether its memo pays.
 *
 * @example
 *   const payoff = new MemoPayoff();
 *   const why = payoff.verdict(memoStats, statesExpanded); // null: go on
 */
export class MemoPayoff {
  /** Misses and states expanded when the warm-up ended (undefined before). */
  private from: { readonly misses: number; readonly states: number } | undefined;

  /** After a level: why to search Immutable values instead, or null to go on with vectors. */
  verdict(memo: MemoStats, statesExpanded: number): string | null {
    if (this.from === undefined) {
      if (statesExpanded >= WARM_UP_STATES) this.from = { misses: memo.misses, states: statesExpanded };
      return null;
    }
    const states = statesExpanded - this.from.states;
    if (states < JUDGED_STATES || statesExpanded > LAST_JUDGED_STATES) return null;
    const perState = (memo.misses - this.from.misses) / states;
    if (perState <= MAX_MISSES_PER_STATE) return null;
    return (
      `the vector engine's memo missed ${perState.toFixed(1)} times a state over ${count(states)} states after the first ${count(this.from.states)} ` +
      `(the steps read too much of the state for their results to be reused; a miss costs more than a whole state on Immutable values): searched Immutable values instead (--engine vector insists)`
    );
  }
}
