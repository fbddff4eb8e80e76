// The cycle proviso of partial-order reduction for a level-by-level BFS: which level each
// seen-set slot was first stored in, so a reduced expansion that closes a cycle is undone.
import type { SeenSet } from '../explore/seen-set.ts';

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
