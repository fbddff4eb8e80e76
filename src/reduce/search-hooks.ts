// The two hooks a reduction plugs into a search: which enabled actions to expand, and which
// key stands for a state in the seen set. The search itself stays unaware of why.

/**
 * How a reduced search differs from the full one. Both hooks are optional.
 *
 * The search always continues from the original state (never from a canonical form) and
 * records actions as indices into `model.actions(state)`, so a trace found with a reduction
 * replays in the unreduced model.
 */
export interface SearchReduction<S, A> {
  /** Writes the seen-set key of `state` into `out` (default: its fingerprint). Symmetry. */
  readonly key?: (state: S, out: Uint32Array) => void;
  /**
   * Indices into `actions` (the enabled actions of `state`) of a persistent set to expand,
   * or null to expand all. Partial-order reduction. The search applies the cycle proviso
   * itself, reading the seen set as it was before the level: a reduced expansion reaching a
   * state first stored in an earlier level is replaced by the full one.
   */
  readonly select?: (state: S, actions: readonly A[]) => readonly number[] | null;
}
