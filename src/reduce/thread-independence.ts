// Independence of thread-DSL steps, for partial-order reduction: footprints from each step's
// declared reads and writes plus the locks it takes, the threads' control-flow graphs, and
// the "future conflict" table the persistent-set computation queries per state.
//
// Footprint of a step (see footprint.ts for keys):
// - `reads` / `writes` / `updates` as declared; a step with user code (guard, effect,
//   choice, goto function, lock-name function) that declares nothing reads and writes
//   everything;
//   a step with no user code (a bare lock operation or a no-op) touches no shared field;
// - each lock it acquires or releases is written (`lock:NAME`); a lock named by a function
//   counts as `lock:*` unless the step declares which (`writes: ['lock:ptl[*]']`).
// Two steps of different threads are dependent when one writes what the other reads, writes
// or updates, or one updates what the other reads. Two *updates* of the same key commute
// (`updates` declares commutative read-modify-writes such as get_page/put_page on a
// refcount: either order gives the same state and neither disables the other). Steps of
// one thread are always dependent (the thread runs them in order).
//
// Control flow: a step goes to the next step, to its static `goto`, to any of its declared
// `targets`, or — with a goto function and no `targets` — anywhere in its thread. An effect
// may return a `goto` only to one of these; during a reduced search the DSL checks this
// (`strict`) and stops with a ModelError otherwise, since an undeclared jump would make the
// future-conflict table wrong.
import type { DslState, Step, ThreadModelSpec } from '../model/dsl.ts';
import { ModelError } from '../model/errors.ts';
import { EVERYTHING, footprintsOverlap, parseKey, type Footprint } from './footprint.ts';
import type { Independence } from './support.ts';

/** Independence of a thread model, plus the jump check the DSL runs while `strict`. */
export interface ThreadIndependence<S> extends Independence<S, number> {
  /** True during a reduced search: effects must jump only to declared targets. */
  readonly strict: boolean;
  /** Whether thread `tid`'s step `pc` may continue at `nextPc` (its length means done). */
  allowsJump(tid: number, pc: number, nextPc: number): boolean;
  /** Per thread, per step: the footprint used (for tests and `explain`). */
  readonly footprints: readonly (readonly StepFootprint[])[];
}

const CHOICE = 256; // the DSL's action encoding: tid + CHOICE * choice
const DONE = 'done'; // the DSL's end label (dsl.ts DONE; not imported, to keep the import graph acyclic)

function hasUserCode(s: Step<any, any, any>): boolean {
  const fnLock = (r: unknown) => (Array.isArray(r) ? r.some((x) => typeof x === 'function') : typeof r === 'function');
  return (
    s.when !== undefined ||
    s.do !== undefined ||
    s.choose !== undefined ||
    typeof s.goto === 'function' ||
    fnLock(s.acquire) ||
    fnLock(s.acquireRead) ||
    fnLock(s.release)
  );
}

function lockKeys(s: Step<any, any, any>): { names: string[]; dynamic: boolean } {
  const names: string[] = [];
  let dynamic = false;
  for (const r of [s.acquire, s.acquireRead, s.release]) {
    if (r === undefined) continue;
    for (const x of Array.isArray(r) ? r : [r]) {
      if (typeof x === 'string') names.push(x);
      else dynamic = true;
    }
  }
  return { names, dynamic };
}

/** What one step reads, writes, and updates commutatively (parsed keys). */
export interface StepFootprint {
  readonly reads: Footprint;
  readonly writes: Footprint;
  readonly updates: Footprint;
}

/** The footprint of one step (exported for tests). */
export function stepFootprint(s: Step<any, any, any>): StepFootprint {
  const user = hasUserCode(s);
  const reads: Footprint = s.reads ? s.reads.map(parseKey) : user ? EVERYTHING : [];
  const writes: (readonly string[])[] = s.writes ? s.writes.map(parseKey) : user ? [...EVERYTHING] : [];
  const { names, dynamic } = lockKeys(s);
  // A lock named by a function is covered only by a lock key the step declares itself (or
  // '*'), not by the keys of the locks it names statically, which are added next.
  const declaresLocks = writes.some((k) => k[0] === '#lock' || k[0] === '*');
  for (const n of names) writes.push(parseKey(`lock:${n}`));
  if (dynamic && !declaresLocks) writes.push(parseKey('lock:*'));
  const updates: Footprint = (s.updates ?? []).map(parseKey);
  return { reads, writes, updates };
}

/** Whether steps `a` and `b` of different threads may fail to commute. */
export function dependent(a: StepFootprint, b: StepFootprint): boolean {
  return (
    footprintsOverlap(a.writes, b.reads) ||
    footprintsOverlap(a.writes, b.writes) ||
    footprintsOverlap(a.writes, b.updates) ||
    footprintsOverlap(b.writes, a.reads) ||
    footprintsOverlap(b.writes, a.updates) ||
    footprintsOverlap(a.updates, b.reads) ||
    footprintsOverlap(b.updates, a.reads)
  );
}

/**
 * Builds the independence tables of a thread model.
 *
 * @param spec the DSL specification (steps with `reads`/`writes`/`targets`, invariants with `reads`)
 */
export function threadIndependence<S>(spec: ThreadModelSpec<S>): ThreadIndependence<DslState<S>> {
  const threads = spec.threads;
  const offset: number[] = [];
  let total = 0;
  for (const t of threads) {
    offset.push(total);
    total += t.steps.length;
  }
  const words = Math.max(1, Math.ceil(total / 32));
  const footprints = threads.map((t) => t.steps.map(stepFootprint));
  const flat = footprints.flat();
  const threadOf = threads.flatMap((t, tid) => t.steps.map(() => tid));

  // Successor pcs of each step in its thread's control-flow graph (length = done).
  const succ: Uint8Array[][] = threads.map((t) => {
    const byLabel = new Map(t.steps.map((s, i) => [s.label, i] as const));
    const n = t.steps.length;
    const idx = (label: string) => (label === DONE ? n : (byLabel.get(label) ?? -1));
    return t.steps.map((s, i) => {
      const out = new Uint8Array(n + 1);
      out[n] = 1; // finishing is always allowed as far as the table goes (DONE)
      out[i + 1] = 1;
      if (typeof s.goto === 'string') {
        const j = idx(s.goto);
        if (j >= 0) out[j] = 1;
      } else if (typeof s.goto === 'function' && s.targets === undefined) out.fill(1);
      for (const label of s.targets ?? []) {
        const j = idx(label);
        if (j < 0) throw new ModelError({ model: spec.name, thread: t.name, step: s.label }, `target '${label}' names no step of this thread`);
        out[j] = 1;
      }
      return out;
    });
  });

  // dep[g]: bitset of the steps (of other threads) dependent on step g.
  const dep = flat.map((a, g) => {
    const row = new Uint32Array(words);
    for (let h = 0; h < total; h++) {
      if (threadOf[h] === threadOf[g]) continue;
      const b = flat[h];
      if (dependent(a, b)) row[h >>> 5] |= 1 << (h & 31);
    }
    return row;
  });

  // future[tid][pc]: union of dep rows over the steps reachable from pc (pc included).
  const future: Uint32Array[][] = threads.map((t, tid) =>
    t.steps.map((_, pc) => {
      const n = t.steps.length;
      const seen = new Uint8Array(n);
      const stack = [pc];
      seen[pc] = 1;
      const row = new Uint32Array(words);
      while (stack.length) {
        const k = stack.pop()!;
        const d = dep[offset[tid] + k];
        for (let w = 0; w < words; w++) row[w] |= d[w];
        const next = succ[tid][k];
        for (let j = 0; j < n; j++) if (next[j] && !seen[j]) {
          seen[j] = 1;
          stack.push(j);
        }
      }
      return row;
    }),
  );

  // Visibility: a step is visible when it writes a key through which some invariant's
  // violation can be repaired (`repairs`, default `reads`); an invariant that declares
  // neither may read anything (locals, program counters too), so every step is visible.
  const invariants = spec.invariants ?? [];
  const allVisible = invariants.some((i) => (i.repairs ?? i.reads) === undefined);
  const repairKeys: Footprint = invariants.flatMap((i) => (i.repairs ?? i.reads ?? []).map(parseKey));
  const visible = flat.map((f) => allVisible || footprintsOverlap(f.writes, repairKeys) || footprintsOverlap(f.updates, repairKeys));

  let strict = false;
  return {
    processCount: threads.length,
    get strict() {
      return strict;
    },
    prepare() {
      strict = true;
    },
    processOf: (_s, action) => action % CHOICE,
    nextTransition: (s, p) => {
      const pc = s.pcs.get(p)!;
      return pc >= threads[p].steps.length ? -1 : offset[p] + pc;
    },
    conflictsWithFuture: (s, p, t) => {
      const pc = s.pcs.get(p)!;
      if (pc >= threads[p].steps.length) return false;
      return (future[p][pc][t >>> 5] & (1 << (t & 31))) !== 0;
    },
    isVisible: (t) => visible[t],
    allowsJump: (tid, pc, nextPc) => succ[tid][pc][nextPc] === 1,
    footprints,
  };
}
