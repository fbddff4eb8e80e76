// Independence of thread-DSL steps, for partial-order reduction: footprints from each step's
// declared reads and writes plus the locks it takes, the threads' control-flow graphs, the
// "future conflict" table the persistent-set computation queries per state — and the check,
// on every state a reduced search expands, that each step really stays inside its footprint.
//
// Footprint of a step (see footprint.ts for keys):
// - `reads` / `writes` as declared (`updates` count as writes); a step with user code
//   (guard, effect, choice, goto function, lock-name function) that declares nothing reads
//   and writes everything;
//   a step with no user code (a bare lock operation or a no-op) touches no shared field;
// - each lock it acquires or releases is written (`lock:NAME`); a lock named by a function
//   counts as `lock:*` unless the step declares which (`writes: ['lock:ptl[*]']`);
// - its own thread's program counter and locals (`thread:NAME`) are written.
// Two steps of different threads are dependent when one writes what the other reads or
// writes. Steps of one thread are always dependent (the thread runs them in order).
//
// Declarations are checked, not trusted: while `strict` (a reduced search), the DSL probes
// every step of every thread on every state it expands (access-probe.ts) and calls
// `checkStep`, which stops the search with a ModelError naming the first access outside the
// declared footprint; invariants likewise (`checkInvariant`). Why checking the states the
// reduced search expands is enough is in docs/reduce.md ("Why checking is sound").
//
// Control flow: a step goes to the next step, to its static `goto`, to any of its declared
// `targets`, or — with a goto function and no `targets` — anywhere in its thread. An effect
// may return a `goto` only to one of these; during a reduced search the DSL checks this
// (`strict`) and stops with a ModelError otherwise, since an undeclared jump would make the
// future-conflict table wrong.
import type { DslState, Step, ThreadModelSpec } from '../model/dsl.ts';
import { ModelError } from '../model/errors.ts';
import type { AccessProbe } from './access-probe.ts';
import { EVERYTHING, footprintCovers, footprintsOverlap, keyText, parseKey, type Footprint } from './footprint.ts';
import type { Independence } from './support.ts';

/** Independence of a thread model, plus the jump check the DSL runs while `strict`. */
export interface ThreadIndependence<S> extends Independence<S, number> {
  /** True during a reduced search: effects must jump only to declared targets. */
  readonly strict: boolean;
  /** Whether thread `tid`'s step `pc` may continue at `nextPc` (its length means done). */
  allowsJump(tid: number, pc: number, nextPc: number): boolean;
  /** Per thread, per step: the footprint used (for tests and `explain`). */
  readonly footprints: readonly (readonly StepFootprint[])[];
  /**
   * Throws a ModelError when what thread `tid`'s step `pc` did (as `probe` saw it, on one
   * state) lies outside the step's declared footprint.
   */
  checkStep(tid: number, pc: number, probe: AccessProbe): void;
  /** Throws a ModelError when what invariant `i` read (`probe`) lies outside its declared `reads`. */
  checkInvariant(i: number, probe: AccessProbe): void;
}

const CHOICE = 256; // the DSL's action encoding: tid + CHOICE * choice
const DONE = 'done'; // the DSL's end label (dsl.ts DONE; not imported, to keep the import graph acyclic)

/** Whether a step runs user code (a guard, effect, choice, goto function or lock-name function). */
export function hasUserCode(s: Step<any, any, any>): boolean {
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

/** What one step reads and writes (parsed keys). */
export interface StepFootprint {
  readonly reads: Footprint;
  readonly writes: Footprint;
}

/**
 * The footprint of one step (exported for tests). `updates` are writes: a read-modify-write
 * of a refcount by two threads commutes only if nothing else in either step depends on the
 * value, which no check can see — so partial-order reduction does not assume it.
 */
export function stepFootprint(s: Step<any, any, any>): StepFootprint {
  const user = hasUserCode(s);
  const reads: Footprint = s.reads ? s.reads.map(parseKey) : user ? EVERYTHING : [];
  const writes: (readonly string[])[] = s.writes || s.updates ? [...(s.writes ?? []), ...(s.updates ?? [])].map(parseKey) : user ? [...EVERYTHING] : [];
  const { names, dynamic } = lockKeys(s);
  // A lock named by a function is covered only by a lock key the step declares itself (or
  // '*'), not by the keys of the locks it names statically, which are added next.
  const declaresLocks = writes.some((k) => k[0] === '#lock' || k[0] === '*');
  for (const n of names) writes.push(parseKey(`lock:${n}`));
  if (dynamic && !declaresLocks) writes.push(parseKey('lock:*'));
  return { reads, writes };
}

/** Whether steps `a` and `b` of different threads may fail to commute. */
export function dependent(a: StepFootprint, b: StepFootprint): boolean {
  return footprintsOverlap(a.writes, b.reads) || footprintsOverlap(a.writes, b.writes) || footprintsOverlap(b.writes, a.reads);
}

/** A key to suggest declaring for an access to `path`: the exact key, and a wildcard form. */
function suggestion(path: readonly string[]): string {
  if (path.length === 0) return `'*' (or leave the declaration out)`;
  const exact = keyText(path);
  const idx = path.findIndex((seg, i) => i > (path[0].startsWith('#') ? 1 : 0) && (/^\d+$/.test(seg) || seg === '#size'));
  if (idx < 0) return `'${exact}'`;
  const wide = keyText([...path.slice(0, idx), '*']);
  return path[idx] === '#size' ? `'${wide}'` : `'${exact}' (or '${wide}')`;
}

/** How an access to `path` reads in a message. */
function accessText(path: readonly string[]): string {
  if (path.length === 0) return 'the whole shared state';
  if (path[path.length - 1] === '#size') return `the size of '${keyText(path.slice(0, -1))}'`;
  return `'${keyText(path)}'`;
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
  // Each step also writes its own thread's program counter and locals (for invariants that
  // read them); no other thread's step can touch them.
  const footprints = threads.map((t) =>
    t.steps.map((st) => {
      const f = stepFootprint(st);
      return { reads: f.reads, writes: [...f.writes, parseKey(`thread:${t.name}`)] };
    }),
  );
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

  // Visibility: a step is visible when it writes a key some invariant reads (it can change
  // the invariant's verdict); an invariant that declares no reads may read anything (locals,
  // program counters too), so every step is visible.
  const invariants = spec.invariants ?? [];
  const invariantReads: Footprint[] = invariants.map((i) => (i.reads === undefined ? EVERYTHING : i.reads.map(parseKey)));
  const readKeys: Footprint = invariantReads.flat();
  const visible = flat.map((f) => footprintsOverlap(f.writes, readKeys));
  const declaredReads = threads.map((t) => t.steps.map((st) => st.reads !== undefined || !hasUserCode(st)));
  const declaredWrites = threads.map((t) => t.steps.map((st) => st.writes !== undefined || st.updates !== undefined || !hasUserCode(st)));

  const checkStep = (tid: number, pc: number, probe: AccessProbe): void => {
    const f = footprints[tid][pc];
    const where = { model: spec.name, thread: threads[tid].name, step: threads[tid].steps[pc].label };
    const advice = 'partial-order reduction (--por) relies on every shared access a step makes being declared';
    if (declaredReads[tid][pc]) {
      for (const path of probe.reads.values()) {
        if (footprintCovers(f.reads, path) || footprintCovers(f.writes, path)) continue;
        throw new ModelError(where, `reads ${accessText(path)}, which its footprint does not declare: add ${suggestion(path)} to its reads; ${advice}`);
      }
    }
    if (declaredWrites[tid][pc]) {
      for (const path of probe.writes.values()) {
        if (footprintCovers(f.writes, path)) continue;
        throw new ModelError(where, `writes ${accessText(path)}, which its footprint does not declare: add ${suggestion(path)} to its writes; ${advice}`);
      }
    }
  };

  const checkInvariant = (i: number, probe: AccessProbe): void => {
    const inv = invariants[i];
    if (inv.reads === undefined) return;
    for (const path of probe.reads.values()) {
      if (footprintCovers(invariantReads[i], path)) continue;
      const what = path[0] === '#thread' ? `the program counter or locals of thread '${path[1]}'` : accessText(path);
      throw new ModelError(
        { model: spec.name },
        `invariant '${inv.name}' reads ${what}, which its 'reads' do not declare: add ${suggestion(path)} to its reads; partial-order reduction (--por) relies on every key an invariant reads being declared`,
      );
    }
  };

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
    checkStep,
    checkInvariant,
  };
}
