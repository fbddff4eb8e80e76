// The two hooks a reduction plugs into a search: which enabled actions to expand, and which
// key stands for a state in the seen set. The search itself stays unaware of why.
import type { SeenSet } from '../explore/seen-set.ts';

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
   * itself (see CycleProviso): a reduced expansion reaching a state first stored in an
   * earlier level is replaced by the full one.
   */
  readonly select?: (state: S, actions: readonly A[]) => readonly number[] | null;
}

/**
 * The cycle proviso of partial-order reduction, for level-by-level BFS: remembers in which
 * level each seen-set slot was first stored. A state expanded at depth d keeps its reduced
 * expansion only if every successor it selects is new or was first stored at depth d+1 (by
 * another state of the same level). Soundness: on any cycle of the reduced graph, the state
 * stored last has a successor on the cycle stored no later, hence at a depth ≤ its own, so
 * it is expanded fully — no action is ignored forever along a cycle.
 */
export class CycleProviso {
  /** Per slot: 1 + depth at which the state was stored; 0 for an empty slot. */
  private levels: Uint32Array;

  constructor(capacity: number) {
    this.levels = new Uint32Array(capacity);
  }

  /** Records that `slot` was stored at `depth`. */
  stored(slot: number, depth: number): void {
    this.levels[slot] = depth + 1;
  }

  /** True when the state in `slot` was stored at a depth ≤ `depth` (before this level's expansion). */
  storedBefore(slot: number, depth: number): boolean {
    return this.levels[slot] <= depth + 1;
  }

  /** Follows the seen set's growth (`map`: old slot → new slot). */
  remap(map: Uint32Array, seen: SeenSet): void {
    const next = new Uint32Array(seen.capacity);
    const old = this.levels;
    for (let s = 0; s < old.length; s++) if (old[s] !== 0) next[map[s]] = old[s];
    this.levels = next;
  }
}
