// How each state of a parallel search was reached: per BFS level, dense arrays of the
// parent's global index and the action index, so a counterexample is rebuilt by walking
// parents back to an initial state and replaying (as the sequential search does from its
// seen set). Six bytes per state, no empty slots.
import type { Model } from '../model/model.ts';
import { ModelError } from '../model/errors.ts';
import type { Trace } from '../explore/result.ts';
import { replay } from '../trace/reconstruct.ts';
import { fingerprintInto } from '../state/fingerprint.ts';

/** Parent index of an initial state (its action entry is the index among initStates()). */
export const ROOT = 0xffffffff;

interface Level {
  readonly start: number;
  readonly parents: Uint32Array;
  readonly actions: Uint16Array;
}

/** Parents and actions of every state, by global index (BFS order). */
export class TraceStore {
  private readonly levels: Level[] = [];
  private total = 0;

  /** Number of states recorded. */
  get size(): number {
    return this.total;
  }

  /** Bytes held. */
  get bytes(): number {
    let b = 0;
    for (const l of this.levels) b += l.parents.byteLength + l.actions.byteLength;
    return b;
  }

  /** Appends a level's states (their global indices continue from `size`). */
  addLevel(parents: Uint32Array, actions: Uint16Array): void {
    this.levels.push({ start: this.total, parents, actions });
    this.total += parents.length;
  }

  private levelOf(index: number): Level {
    let lo = 0;
    let hi = this.levels.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.levels[mid].start <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.levels[lo];
  }

  parentOf(index: number): number {
    const l = this.levelOf(index);
    return l.parents[index - l.start];
  }

  actionOf(index: number): number {
    const l = this.levelOf(index);
    return l.actions[index - l.start];
  }

  /** The action indices from an initial state to `index`. */
  pathTo(index: number): { initIndex: number; actions: number[] } {
    const actions: number[] = [];
    let s = index;
    while (this.parentOf(s) !== ROOT) {
      actions.push(this.actionOf(s));
      s = this.parentOf(s);
    }
    actions.reverse();
    return { initIndex: this.actionOf(s), actions };
  }

  /**
   * The trace to state `index` (plus `extraAction` when a transition property failed on
   * the way out of it). When `last` is given, the replayed state at `index` must have that
   * key (`key`: the fingerprint, or with symmetry the representative's), else the model is
   * not deterministic.
   */
  traceTo<S, A>(
    model: Model<S, A>,
    index: number,
    extraAction?: number,
    last?: { hi: number; lo: number },
    key: (state: S, out: Uint32Array) => void = fingerprintInto,
  ): Trace {
    const path = this.pathTo(index);
    const n = path.actions.length;
    const actions = extraAction === undefined ? path.actions : [...path.actions, extraAction];
    try {
      return replay(model, path.initIndex, actions, (i, out) => {
        if (last === undefined || i !== n) return false;
        out[0] = last.hi;
        out[1] = last.lo;
        return true;
      }, key);
    } catch (e) {
      if (e instanceof ModelError) throw e;
      throw new ModelError({ model: model.name }, `replaying a counterexample failed: ${(e as Error).message}`, { cause: e });
    }
  }
}
