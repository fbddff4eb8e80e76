// A worker thread's warm-up, run once it has built the model and before it reports ready: a
// short breadth-first search of its own from the initial states (no shared memory touched),
// so that its first shared level does not pay for a cold JIT and, on the vector engine,
// empty memo tries. Without it the first level a worker joins ran 2-4x slower per state on
// both threads (kvm 2/2/5, `MMCHECK_TRACE_LEVELS=1`). Only speed depends on it: the memo
// tries are exact, so what they hold never changes an answer.
import { Successors } from '../model/vector.ts';
import type { Loaded } from './loaded.ts';

/** Time and states a warm-up may take. */
export const WARM_UP_MS = 150;
const WARM_UP_STATES = 50_000;

/**
 * Explores up to WARM_UP_STATES states or WARM_UP_MS breadth-first from the model's initial
 * states, through the same code the search runs (vector successors and Zobrist keys, or the
 * Immutable model, fingerprints and the codec). Any error ends it quietly: the search meets
 * it again, and reports it with its step.
 */
export function warmUp(L: Loaded, ms = WARM_UP_MS, maxStates = WARM_UP_STATES): void {
  const fp = new Uint32Array(2);
  try {
    const vm = L.vector;
    const z = L.zobrist;
    if (vm !== undefined && z !== undefined) {
      const succ = new Successors();
      const inits = L.model.initStates().map((s) => {
        const v = new Int32Array(vm.width);
        vm.encode(s, v);
        return v;
      });
      explore(inits, ms, maxStates, (v, visit) => {
        vm.successors(v, succ);
        for (let i = 0; i < succ.count; i++) {
          const n = v.slice();
          const d = succ.deltas[i];
          for (let j = 0; j < d.length; j += 2) n[d[j]] = d[j + 1];
          z.full(n, fp);
          visit(n, fp[0], fp[1]);
        }
      });
      return;
    }
    const { model, codec } = L;
    const sink = L.scratch.sink;
    explore([...model.initStates()], ms, maxStates, (s, visit) => {
      sink.clear();
      for (const a of model.actions(s)) {
        const s2 = model.next(s, a);
        L.keyOf(s2, fp);
        if (visit(s2, fp[0], fp[1])) codec.encode(s2, sink);
      }
    });
  } catch {
    // The search reports it.
  } finally {
    L.scratch.sink.clear();
  }
}

/**
 * Breadth-first from `inits` until the budget runs out: `expand` calls `visit` with each
 * successor and its key, which is true when the successor was new (it is then expanded in
 * the next level).
 */
function explore<T>(inits: T[], ms: number, maxStates: number, expand: (state: T, visit: (next: T, hi: number, lo: number) => boolean) => void): void {
  const t0 = performance.now();
  // Keys as 53-bit numbers: a collision only skips a state of the warm-up.
  const seen = new Set<number>();
  let next: T[] = [];
  const visit = (n: T, hi: number, lo: number): boolean => {
    const k = (hi >>> 0) * 2097152 + (lo >>> 11);
    if (seen.has(k)) return false;
    seen.add(k);
    next.push(n);
    return true;
  };
  let level = inits;
  while (level.length > 0) {
    next = [];
    for (const s of level) {
      if (seen.size >= maxStates || performance.now() - t0 > ms) return;
      expand(s, visit);
    }
    level = next;
  }
}
