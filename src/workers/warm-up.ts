// A worker thread's warm-up, run once it has built the model: a breadth-first search of its
// own from the initial states (no shared memory touched), so that its first shared level
// does not pay for a cold JIT and, on the vector engine, empty memo tries. Without it the
// first level a worker joins ran 2-4x slower per state on both threads (kvm 2/2/5,
// `MMCHECK_TRACE_LEVELS=1`). After WARM_UP_MS the thread says it is ready, and goes on while
// the search still runs its levels alone (the core would idle), until the search stops it
// before the first level it shares: on two-phase-commit 7 the worker's second shared level
// then cost 45-50 µs a state instead of 68-73 (three pairs of runs). States go on encoded
// and decoded, as in the search. Only speed depends on it: the memo tries are exact, so
// what they hold never changes an answer.
import { Successors } from '../model/vector.ts';
import type { Loaded } from '../search/loaded.ts';

/** Time before the thread says it is ready, and states a warm-up explores at most. */
export const WARM_UP_MS = 150;
const WARM_UP_STATES = 50_000;

/** How a warm-up ends: `ready` is called after WARM_UP_MS, then it goes on for `holdMs` more at most, until `stop()`. */
export interface WarmUpControl {
  readonly ready: () => void;
  readonly stop: () => boolean;
  readonly holdMs: number;
}

/**
 * Explores up to WARM_UP_STATES states breadth-first from the model's initial states,
 * through the same code the search runs (vector successors and Zobrist keys, or the
 * Immutable model, fingerprints and the codec): for WARM_UP_MS, then — the thread ready —
 * while the search runs without it, up to `holdMs` more. Any error ends it quietly: the
 * search meets it again, and reports it with its step.
 */
export function warmUp(L: Loaded, control: WarmUpControl, maxStates = WARM_UP_STATES): void {
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
      explore(inits, control, maxStates, (v, visit) => {
        vm.successors(v, succ);
        for (let g = 0; g < succ.groups; g++) {
          for (const d of succ.group[g].deltas) {
            const n = v.slice();
            for (let j = 0; j < d.length; j += 2) n[d[j]] = d[j + 1];
            z.full(n, fp);
            visit(fp[0], fp[1], () => n);
          }
        }
      });
      return;
    }
    const { model, codec } = L;
    const sink = L.scratch.sink;
    explore([...model.initStates()], control, maxStates, (s, visit) => {
      for (const a of model.actions(s)) {
        const s2 = model.next(s, a);
        L.keyOf(s2, fp);
        // A new state goes on encoded and decoded, as the search's states do: the model's
        // code then meets the objects the codec builds, not only those its steps build.
        visit(fp[0], fp[1], () => {
          sink.clear();
          codec.forgetDecoded();
          return codec.decode(sink.bytes, codec.encode(s2, sink));
        });
      }
    });
  } catch {
    // The search reports it.
  } finally {
    L.scratch.sink.clear();
    // Its buffer may become a block's: no collection decoded from it may be reused.
    L.codec.forgetDecoded();
  }
}

/**
 * Breadth-first from `inits` until the budget runs out: `expand` calls `visit` with each
 * successor's key and a maker of the successor, called when the key is new (the successor
 * is then expanded in the next level).
 */
function explore<T>(inits: T[], control: WarmUpControl, maxStates: number, expand: (state: T, visit: (hi: number, lo: number, make: () => T) => void) => void): void {
  const t0 = performance.now();
  let ready = false;
  /** True when the warm-up should end now. */
  const done = (): boolean => {
    const ms = performance.now() - t0;
    if (!ready && ms >= WARM_UP_MS) {
      ready = true;
      control.ready();
    }
    return ready && (ms >= WARM_UP_MS + control.holdMs || control.stop());
  };
  // Keys as 53-bit numbers: a collision only skips a state of the warm-up.
  const seen = new Set<number>();
  let next: T[] = [];
  const visit = (hi: number, lo: number, make: () => T): void => {
    const k = (hi >>> 0) * 2097152 + (lo >>> 11);
    if (seen.has(k)) return;
    seen.add(k);
    next.push(make());
  };
  let level = inits;
  while (level.length > 0) {
    next = [];
    for (const s of level) {
      if (seen.size >= maxStates || done()) return;
      expand(s, visit);
    }
    level = next;
  }
}
