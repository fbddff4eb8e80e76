// Partial-order reduction: the persistent (stubborn) set of a state, computed from the
// model's independence information, with the invisibility proviso. The cycle proviso is the
// search's part (Dedupe.storedBefore: the seen set as it was before the level).
//
// Stubborn-set closure over processes (Valmari; Godefroid's persistent sets): start from one
// process with enabled actions; while some process x in the set has a next transition t
// that may conflict with anything another process q can still do (its next transition or any
// later one), add q. The closure is a persistent set: every transition outside it, now or
// after other outside transitions, is independent of every transition inside it. A blocked
// process in the set is fine: whatever can unblock it conflicts with it, so is in the set
// too (a necessary enabling set). Among all seeds, the set with the fewest enabled actions
// wins; ties go to the lowest process index, so the choice is deterministic.
//
// Invisibility proviso: a set smaller than all enabled actions may contain only invisible
// transitions — for safety checking, ones that cannot *repair* a violated invariant (a path
// to a bad state that avoids the set, followed by a deferred transition, still ends in a bad
// state; the model says which transitions may repair via Independence.isVisible, the DSL
// from InvariantSpec.repairs, default reads). Deadlocks need no proviso (a
// persistent set of a state with enabled actions is never empty, and a transition
// independent of a whole path stays enabled along it); the DSL's transition property (no
// sleeping under a spinlock) depends only on the acting thread's step and held locks, which
// other threads' transitions cannot change, so it needs none either.
//
// FIXME: no sleep sets. With a state-storing BFS they only save transitions, never states,
// and to be sound they must be stored per state and a state re-expanded when reached again
// with a smaller sleep set; we keep only fingerprints per state.
import type { Independence } from './support.ts';

/**
 * Finds persistent sets for one model; holds scratch buffers so that a search allocates
 * nothing per state but the returned index list.
 *
 * @example
 *   const sets = new PersistentSets(model.independence!);
 *   const subset = sets.find(s, model.actions(s)); // indices into the actions, or null
 */
export class PersistentSets<S, A> {
  private readonly P: number;
  private readonly enabled: Int32Array;
  private readonly next: Int32Array;
  /** conflict[x * P + q]: 0 unknown, 1 no, 2 yes — computed on demand, shared by all seeds. */
  private readonly conflict: Uint8Array;
  private readonly inSet: Uint8Array;
  private readonly best: Uint8Array;
  private readonly stack: Int32Array;

  constructor(private readonly ind: Independence<S, A>) {
    const P = (this.P = ind.processCount);
    this.enabled = new Int32Array(P);
    this.next = new Int32Array(P);
    this.conflict = new Uint8Array(P * P);
    this.inSet = new Uint8Array(P);
    this.best = new Uint8Array(P);
    this.stack = new Int32Array(P);
  }

  /**
   * Indices into `actions` (the enabled actions of `state`, in order) of a persistent set
   * satisfying the invisibility proviso, or null when only the full set qualifies.
   */
  find(state: S, actions: readonly A[]): number[] | null {
    const { ind, P, enabled, next, conflict, inSet, best, stack } = this;
    enabled.fill(0);
    let active = 0;
    for (let i = 0; i < actions.length; i++) {
      const p = ind.processOf(state, actions[i]);
      if (enabled[p]++ === 0) active++;
    }
    if (active <= 1) return null;
    for (let p = 0; p < P; p++) next[p] = ind.nextTransition(state, p);
    conflict.fill(0);
    let found = false;
    let bestCount = actions.length;

    for (let seed = 0; seed < P; seed++) {
      if (enabled[seed] === 0 || enabled[seed] >= bestCount || ind.isVisible(next[seed])) continue;
      inSet.fill(0);
      inSet[seed] = 1;
      let top = 0;
      stack[top++] = seed;
      let count = enabled[seed];
      let ok = true;
      while (top > 0 && ok) {
        const x = stack[--top];
        const t = next[x];
        for (let q = 0; q < P; q++) {
          if (inSet[q] || next[q] < 0) continue;
          let c = conflict[x * P + q];
          if (c === 0) {
            c = ind.conflictsWithFuture(state, q, t) ? 2 : 1;
            conflict[x * P + q] = c;
          }
          if (c === 1) continue;
          inSet[q] = 1;
          stack[top++] = q;
          if (enabled[q] > 0) {
            count += enabled[q];
            if (count >= bestCount || ind.isVisible(next[q])) {
              ok = false;
              break;
            }
          }
        }
      }
      if (ok && count < bestCount) {
        best.set(inSet);
        found = true;
        bestCount = count;
      }
    }
    if (!found) return null;
    const out: number[] = [];
    for (let i = 0; i < actions.length; i++) if (best[ind.processOf(state, actions[i])]) out.push(i);
    return out;
  }
}
