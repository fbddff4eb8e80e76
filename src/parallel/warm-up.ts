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
export function warmUp(L: Loaded, ms = WARM_UP_MS, maxStates = WARM_UP_STATES): number {
  const t0 = performance.now();
  const seen = new Set<number>();
  const fp = new Uint32Array(2);
  const keyOf = (hi: number, lo: number) => (hi >>> 0) * 2097152 + (lo >>> 11);
  let expanded = 0;
  try {
    const vm = L.vector;
    const z = L.zobrist;
    if (vm !== undefined && z !== undefined) {
      const succ = new Successors();
      let level: Int32Array[] = L.model.initStates().map((s) => {
        const v = new Int32Array(vm.width);
        vm.encode(s, v);
        return v;
      });
      while (level.length > 0) {
        const next: Int32Array[] = [];
        for (const v of level) {
          if (seen.size >= maxStates || performance.now() - t0 > ms) return expanded;
          vm.successors(v, succ);
          expanded++;
          for (let i = 0; i < succ.count; i++) {
            const n = v.slice();
            const d = succ.deltas[i];
            for (let j = 0; j < d.length; j += 2) n[d[j]] = d[j + 1];
            z.full(n, fp);
            const k = keyOf(fp[0], fp[1]);
            if (seen.has(k)) continue;
            seen.add(k);
            next.push(n);
          }
        }
        level = next;
      }
      return expanded;
    }
    const { model, codec } = L;
    let level: unknown[] = [...model.initStates()];
    const sink = L.scratch.sink;
    while (level.length > 0) {
      const next: unknown[] = [];
      for (const s of level) {
        if (seen.size >= maxStates || performance.now() - t0 > ms) return expanded;
        expanded++;
        sink.clear();
        for (const a of model.actions(s)) {
          const s2 = model.next(s, a);
          L.keyOf(s2, fp);
          const k = keyOf(fp[0], fp[1]);
          if (seen.has(k)) continue;
          seen.add(k);
          codec.encode(s2, sink);
          next.push(s2);
        }
      }
      level = next;
    }
  } catch {
    // The search reports it.
  } finally {
    L.scratch.sink.clear();
  }
  return expanded;
}
