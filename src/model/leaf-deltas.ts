// The slot writes of a memo leaf's actions, read off one tracked run of model code (a
// thread's step, a plain Model's action part): per result and slot, a slot read is keyed and
// written if it changed; a slot assigned (set along the result's lineage, or part of a value
// the run built or moved there — tracking.ts) or written by the engine's own code is written;
// any other slot must be unchanged. So a leaf's effect is exactly the run's effect on every
// state that reaches the leaf (docs/vector-engine.md, "What tracking sees").
import type { Shape } from '../state/layout.ts';
import { assignedSlots, type Tracker } from './tracking.ts';

/** Computes the delta of each result of a tracked run, one result at a time. */
export class LeafDeltas {
  /** Per slot: the epoch of the result that assigned it. */
  private readonly assigned: Uint32Array;
  private epoch = 0;
  private readonly pending: number[] = [];
  private readonly assign = (from: number, to: number): void => {
    for (let x = from; x < to; x++) this.assigned[x] = this.epoch;
  };
  private readonly moved = (from: number, to: number): void => this.tracker.readRange(from, to);

  constructor(
    private readonly tracker: Tracker,
    private readonly width: number,
  ) {
    this.assigned = new Uint32Array(width);
  }

  /** Starts a result: nothing assigned yet. */
  begin(): void {
    if (++this.epoch === 0xffffffff) {
      this.assigned.fill(0);
      this.epoch = 1;
    }
  }

  /** Marks what `value`, the result's part at slot `at` under `shape`, assigned (a primitive part is keyed or written by the caller). */
  assignedIn(value: unknown, shape: Shape, at: number): void {
    if (shape.kind !== 'prim') assignedSlots(value, shape, at, this.assign, this.moved);
  }

  /**
   * The writes ([slot, code, …]) taking `vec` to the result encoded in `next`; `unexplained`
   * throws for a slot that changed with no tracked read or set.
   */
  delta(vec: Int32Array, next: Int32Array, unexplained: (slot: number) => never): Int32Array {
    const pending = this.pending;
    const tracker = this.tracker;
    pending.length = 0;
    for (let x = 0; x < this.width; x++) {
      if (tracker.wasRead(x)) {
        if (next[x] !== vec[x]) pending.push(x, next[x]);
      } else if (this.assigned[x] === this.epoch || tracker.wasWritten(x)) pending.push(x, next[x]);
      else if (next[x] !== vec[x]) unexplained(x);
    }
    return Int32Array.from(pending);
  }
}
