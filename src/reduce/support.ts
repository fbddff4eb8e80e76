// What a model tells the reductions about itself: which transitions are independent (for
// partial-order reduction) and how to map a state to its symmetry class representative.
//
// Both are optional members of a Model. The engine stays generic: it sees processes,
// transition ids and a canonical state, never threads, locks or kernels. The thread DSL
// (src/model/dsl.ts) provides both, built by thread-independence.ts and thread-symmetry.ts.

/**
 * Independence information for partial-order reduction, in terms of processes (threads):
 * each process runs one transition at a time; the actions a state enables for a process are
 * all choices of the one transition it takes next.
 *
 * Soundness contract (what the model promises):
 * - Two transitions of different processes that are not reported as conflicting commute,
 *   and neither enables nor disables the other.
 * - `conflictsWithFuture(s, p, t)` over-approximates: it is true whenever some transition
 *   process `p` may take from `s` on (its next one or any later one, before or after other
 *   processes move) is dependent on transition `t`.
 * - A transition for which `isVisible` is false cannot turn a state violating an invariant
 *   into one satisfying it (it may start a violation, never end one).
 * - Every transition property depends only on the acting process's own state and on what
 *   its transition reads (the DSL's "no sleeping under a spinlock" does: the thread's step
 *   and the locks it holds, which no other thread can change).
 */
export interface Independence<S, A> {
  /** Number of processes. */
  readonly processCount: number;
  /** The process an enabled action of `state` belongs to. */
  processOf(state: S, action: A): number;
  /** Id of the transition process `p` takes next in `state`, or -1 when it has finished. */
  nextTransition(state: S, p: number): number;
  /** True when some transition `p` may still take from `state` on is dependent on `t`. */
  conflictsWithFuture(state: S, p: number, t: number): boolean;
  /** True when transition `t` may make a violated invariant hold again. */
  isVisible(t: number): boolean;
  /**
   * Called once before a reduced search, with model-specific options (the DSL starts
   * checking footprints and jump targets, with the footprints inferred so far).
   */
  prepare?(options?: unknown): void;
}

/**
 * Symmetry information: a canonical representative of each state's class of symmetric
 * states (e.g. interchangeable threads sorted). Only its fingerprint goes into the seen set;
 * the search continues from the original state, so traces stay valid.
 *
 * Soundness contract: the transition relation and every property are invariant under the
 * permutations the canonical form quotients by, and `canonical(π(s))` is the same value
 * for every such permutation π.
 */
export interface Symmetry<S> {
  /** The class representative of `state` (may return `state` itself). */
  canonical(state: S): S;
  /** Null when the model's symmetry declarations are sound; else why symmetry cannot be used. */
  readonly refusal: string | null;
  /** A readable summary, e.g. "vcpu: vcpu0, vcpu1, vcpu2"; empty when nothing is interchangeable. */
  readonly description: string;
}
