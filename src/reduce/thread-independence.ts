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
// - each lock it acquires, tries to acquire (a trylock) or releases is written (`lock:NAME`); a lock named by a function
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
// whose step declares `targets` may return a `goto` only to one of them; during a reduced
// search the DSL checks this (`strict`) and stops with a ModelError otherwise, since an
// undeclared jump would make the future-conflict table wrong. An effect whose step declares
// no `targets` may jump anywhere: its jumps are learned like an undeclared footprint (`jumped`:
// added while learning, else the search ends with a FootprintGrowth and runs again with the
// jump in the table — footprint-inference.ts).
import type { DslState, Step, ThreadModelSpec } from '../model/thread-spec.ts';
import { ModelError } from '../model/errors.ts';
import type { AccessProbe } from './access-probe.ts';
import { EVERYTHING, footprintCovers, footprintsOverlap, keyText, parseKey, type Footprint } from './footprint.ts';
import { growthMessage, KeySet, type FootprintGrowth, type InferredFootprints, type InferredStep } from './inferred-footprints.ts';
import type { Independence } from './support.ts';

/** Independence of a thread model, plus the jump check the DSL runs while `strict`. */
export interface ThreadIndependence<S> extends Independence<S, number> {
  /** True during a reduced search: effects must jump only to declared targets. */
  readonly strict: boolean;
  /** True during a reduced search unless told to trust the declarations: steps and invariants are probed and checked. */
  readonly checking: boolean;
  /** Changes whenever the footprints do (at each `prepare`): probes checked before are stale. */
  readonly generation: number;
  /** `nextTransition` given thread `p`'s program counter (for vector states). */
  stepAt(p: number, pc: number): number;
  /** `conflictsWithFuture` given thread `p`'s program counter (for vector states). */
  conflictAt(p: number, pc: number, t: number): boolean;
  /** Whether thread `tid`'s step `pc` may continue at `nextPc` (its length means done). */
  allowsJump(tid: number, pc: number, nextPc: number): boolean;
  /**
   * Thread `tid`'s step `pc` jumped to `nextPc`, which `allowsJump` refused: false when the
   * step declares `targets` (a declaration error); otherwise the jump is learned (while
   * learning) or a FootprintGrowth error ends the search, to run again with it.
   */
  jumped(tid: number, pc: number, nextPc: number): boolean;
  /** Per thread, per step: the footprint used (for tests and `explain`). */
  readonly footprints: readonly (readonly StepFootprint[])[];
  /**
   * Throws a ModelError when what thread `tid`'s step `pc` did (as `probe` saw it, on one
   * state) lies outside the step's declared footprint.
   */
  checkStep(tid: number, pc: number, probe: AccessProbe): void;
  /** Throws a ModelError when what invariant `i` read (`probe`) lies outside its declared `reads`. */
  checkInvariant(i: number, probe: AccessProbe): void;
  /** Whether invariant `i` is probed (it declares its reads, or they are being inferred). */
  checksInvariant(i: number): boolean;
  /** How many steps (with code) and invariants declare no footprint, whose footprints are inferred. */
  readonly undeclared: { readonly steps: number; readonly invariants: number; /** Steps with an effect and no `targets` (their jumps are learned). */ readonly jumps: number };
  /** The footprints inferred so far. */
  inferred(): InferredFootprints;
  /** Adds what a search saw beyond the inferred footprints (a FootprintGrowth error's). */
  grow(g: FootprintGrowth): void;
  /** Why partial-order reduction can reduce nothing with the footprints in use, or null when it may. */
  hint(): string | null;
}

const CHOICE = 256; // the DSL's action encoding: tid + CHOICE * choice
const DONE = 'done'; // the DSL's end label (dsl.ts DONE; not imported, to keep the import graph acyclic)

/** Whether a step runs user code (a guard, effect, choice, goto function or lock-name function, its own or a branch's). */
export function hasUserCode(s: Step<any, any, any>): boolean {
  const fnLock = (r: unknown) => (Array.isArray(r) ? r.some((x) => typeof x === 'function') : typeof r === 'function');
  return (
    s.when !== undefined ||
    s.do !== undefined ||
    s.choose !== undefined ||
    typeof s.goto === 'function' ||
    fnLock(s.acquire) ||
    fnLock(s.acquireRead) ||
    fnLock(s.tryAcquire) ||
    fnLock(s.tryAcquireRead) ||
    fnLock(s.release) ||
    (s.branches ?? []).some((b) => b.when !== undefined || b.do !== undefined || typeof b.goto === 'function' || fnLock(b.acquire) || fnLock(b.acquireRead) || fnLock(b.release))
  );
}

function lockKeys(s: Step<any, any, any>): { names: string[]; dynamic: boolean } {
  const names: string[] = [];
  let dynamic = false;
  for (const r of [s.acquire, s.acquireRead, s.tryAcquire, s.tryAcquireRead, s.release, ...(s.branches ?? []).flatMap((b) => [b.acquire, b.acquireRead, b.release])]) {
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

/** How a reduced search prepares the tables (Independence.prepare's argument for the DSL). */
export interface PrepareOptions {
  /** Footprints inferred so far for steps and invariants that declare none. */
  readonly footprints?: InferredFootprints;
  /**
   * Learn instead of check: an access of an undeclared step or invariant beyond what was
   * inferred is added to it (for a search that expands everything); else such an access
   * ends the search with a FootprintGrowth error, to be searched again.
   */
  readonly learn?: boolean;
  /**
   * Trust the declarations: no probe, no check (bench/por-check.ts measures what checking
   * costs with it). Unsound when a declaration is wrong, and nothing says so: never for
   * answers.
   */
  readonly trust?: boolean;
}

// FIXME(function-length): threadIndependence is 297 lines, over the 120 a reader can take in (test/package/function-length.test.ts holds it there): split it into named parts.
/**
 * Builds the independence tables of a thread model.
 *
 * @param spec the DSL specification (steps with `reads`/`writes`/`targets`, invariants with `reads`)
 */
export function threadIndependence<S>(spec: ThreadModelSpec<S>): ThreadIndependence<DslState<S>> {
  const threads = spec.threads;
  const invariants = spec.invariants ?? [];
  const offset: number[] = [];
  let total = 0;
  for (const t of threads) {
    offset.push(total);
    total += t.steps.length;
  }
  const words = Math.max(1, Math.ceil(total / 32));
  const threadOf = threads.flatMap((t, tid) => t.steps.map(() => tid));
  const declaredReads = threads.map((t) => t.steps.map((st) => st.reads !== undefined || !hasUserCode(st)));
  const declaredWrites = threads.map((t) => t.steps.map((st) => st.writes !== undefined || st.updates !== undefined || !hasUserCode(st)));
  const declared = threads.map((t) => t.steps.map(stepFootprint));
  const declaredInvariantReads: (Footprint | undefined)[] = invariants.map((i) => i.reads?.map(parseKey));
  /** Steps and invariants that declare (part of) nothing, whose footprints are inferred. */
  const undeclaredSteps = threads.reduce((n, t, tid) => n + t.steps.filter((_, pc) => !declaredReads[tid][pc] || !declaredWrites[tid][pc]).length, 0);
  const undeclaredInvariants = invariants.filter((i) => i.reads === undefined).length;
  /**
   * Steps whose effect (or a branch's) may return a goto nothing declares: no `targets`, and no
   * goto function (which, without `targets`, may go anywhere already).
   */
  const learnsJumps = threads.map((t) =>
    t.steps.map((st) => {
      const parts = [st, ...(st.branches ?? [])];
      return st.targets === undefined && parts.some((b) => b.do !== undefined) && !parts.some((b) => typeof b.goto === 'function');
    }),
  );
  const undeclaredJumps = learnsJumps.flat().filter(Boolean).length;

  // Inferred footprints: per thread, per step; per invariant.
  let inferredReads: KeySet[][] = [];
  let inferredWrites: KeySet[][] = [];
  let inferredInvariant: KeySet[] = [];
  /** Per thread, per step: the labels its effect was seen to jump to beyond `succ` (learnsJumps only). */
  let learnedJumps: Set<string>[][] = [];
  let inferring = false;
  let learn = false;
  const reset = (from: InferredFootprints | undefined): void => {
    inferring = from !== undefined;
    inferredReads = threads.map((t) => t.steps.map((st) => new KeySet(from?.steps[t.name]?.[st.label]?.reads)));
    inferredWrites = threads.map((t) => t.steps.map((st) => new KeySet(from?.steps[t.name]?.[st.label]?.writes)));
    inferredInvariant = invariants.map((i) => new KeySet(from?.invariants[i.name]));
    learnedJumps = threads.map((t, tid) => t.steps.map((st, pc) => new Set(learnsJumps[tid][pc] ? (from?.jumps?.[t.name]?.[st.label] ?? []) : [])));
  };
  reset(undefined);

  // Successor pcs of each step in its thread's control-flow graph (length = done), as
  // declared; `reach` adds the jumps learned (rebuilt with the tables).
  const labelPc = (tid: number, label: string): number => (label === DONE ? threads[tid].steps.length : threads[tid].steps.findIndex((st) => st.label === label));
  const succ: Uint8Array[][] = threads.map((t) => {
    const byLabel = new Map(t.steps.map((s, i) => [s.label, i] as const));
    const n = t.steps.length;
    const idx = (label: string) => (label === DONE ? n : (byLabel.get(label) ?? -1));
    return t.steps.map((s, i) => {
      const out = new Uint8Array(n + 1);
      out[n] = 1; // finishing is always allowed as far as the table goes (DONE)
      out[i + 1] = 1;
      for (const go of [s.goto, ...(s.branches ?? []).map((b) => b.goto)]) {
        if (typeof go === 'string') {
          const j = idx(go);
          if (j >= 0) out[j] = 1;
        } else if (typeof go === 'function' && s.targets === undefined) out.fill(1);
      }
      for (const label of s.targets ?? []) {
        const j = idx(label);
        if (j < 0) throw new ModelError({ model: spec.name, thread: t.name, step: s.label }, `target '${label}' names no step of this thread`);
        out[j] = 1;
      }
      return out;
    });
  });

  // The tables, rebuilt whenever the inferred footprints change.
  let footprints: StepFootprint[][] = [];
  let invariantReads: Footprint[] = [];
  let future: Uint32Array[][] = [];
  let visible: boolean[] = [];
  let reach: Uint8Array[][] = succ;
  const rebuild = (): void => {
    reach = succ.map((row, tid) =>
      row.map((out, pc) => {
        if (learnedJumps[tid][pc].size === 0) return out;
        const more = out.slice();
        for (const label of learnedJumps[tid][pc]) if (labelPc(tid, label) >= 0) more[labelPc(tid, label)] = 1;
        return more;
      }),
    );
    // A step's footprint: what it declares, else (inferring) what it was seen to touch, else
    // everything. Each step also writes its own thread's program counter and locals (for
    // invariants that read them); no other thread's step can touch them.
    footprints = threads.map((t, tid) =>
      t.steps.map((_, pc) => {
        const d = declared[tid][pc];
        const reads = declaredReads[tid][pc] ? d.reads : inferring ? inferredReads[tid][pc].footprint : EVERYTHING;
        const writes = declaredWrites[tid][pc] ? d.writes : inferring ? [...inferredWrites[tid][pc].footprint, ...lockKeysOf(t.steps[pc])] : d.writes;
        return { reads, writes: [...writes, parseKey(`thread:${t.name}`)] };
      }),
    );
    invariantReads = invariants.map((_, i) => declaredInvariantReads[i] ?? (inferring ? inferredInvariant[i].footprint : EVERYTHING));
    const flat = footprints.flat();
    // dep[g]: bitset of the steps (of other threads) dependent on step g.
    const dep = flat.map((a, g) => {
      const row = new Uint32Array(words);
      for (let h = 0; h < total; h++) {
        if (threadOf[h] === threadOf[g]) continue;
        if (dependent(a, flat[h])) row[h >>> 5] |= 1 << (h & 31);
      }
      return row;
    });
    // future[tid][pc]: union of dep rows over the steps reachable from pc (pc included).
    future = threads.map((t, tid) =>
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
          const next = reach[tid][k];
          for (let j = 0; j < n; j++) if (next[j] && !seen[j]) {
            seen[j] = 1;
            stack.push(j);
          }
        }
        return row;
      }),
    );
    // Visibility: a step is visible when it writes a key some invariant reads (it can change
    // the invariant's verdict); an invariant that may read anything makes every step visible.
    const readKeys: Footprint = invariantReads.flat();
    visible = flat.map((f) => footprintsOverlap(f.writes, readKeys));
  };
  rebuild();

  const advice = 'partial-order reduction (--por) relies on every shared access a step makes being declared';
  /** Paths of `seen` that `set` does not cover; learning: added to it. */
  const beyond = (seen: Iterable<readonly string[]>, set: KeySet): string[] => {
    const out: string[] = [];
    for (const path of seen) {
      if (learn ? set.add(path) : !footprintCovers(set.footprint, path)) out.push(keyText(path));
    }
    return out;
  };

  const checkStep = (tid: number, pc: number, probe: AccessProbe): void => {
    const f = footprints[tid][pc];
    const where = { model: spec.name, thread: threads[tid].name, step: threads[tid].steps[pc].label };
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
    if (!inferring) return;
    // An undeclared part: reading what it writes needs no read key, as when declared.
    const reads = declaredReads[tid][pc] ? [] : beyond([...probe.reads.values()].filter((p) => !footprintCovers(f.writes, p)), inferredReads[tid][pc]);
    const writes = declaredWrites[tid][pc] ? [] : beyond(probe.writes.values(), inferredWrites[tid][pc]);
    if (learn || (reads.length === 0 && writes.length === 0)) return;
    throw new ModelError(where, growthMessage({ thread: where.thread, step: where.step, reads, writes }));
  };

  const checkInvariant = (i: number, probe: AccessProbe): void => {
    const inv = invariants[i];
    if (inv.reads === undefined) {
      if (!inferring) return;
      const reads = beyond(probe.reads.values(), inferredInvariant[i]);
      if (learn || reads.length === 0) return;
      throw new ModelError({ model: spec.name }, growthMessage({ invariant: inv.name, reads, writes: [] }));
    }
    for (const path of probe.reads.values()) {
      if (footprintCovers(invariantReads[i], path)) continue;
      const what = path[0] === '#thread' ? `the program counter or locals of thread '${path[1]}'` : accessText(path);
      throw new ModelError(
        { model: spec.name },
        `invariant '${inv.name}' reads ${what}, which its 'reads' do not declare: add ${suggestion(path)} to its reads; partial-order reduction (--por) relies on every key an invariant reads being declared`,
      );
    }
  };

  /** The footprints inferred so far (for the next search, and for worker threads). */
  const inferred = (): InferredFootprints => {
    const steps: Record<string, Record<string, InferredStep>> = {};
    threads.forEach((t, tid) =>
      t.steps.forEach((st, pc) => {
        if (declaredReads[tid][pc] && declaredWrites[tid][pc]) return;
        (steps[t.name] ??= {})[st.label] = { reads: inferredReads[tid][pc].texts(), writes: inferredWrites[tid][pc].texts() };
      }),
    );
    const invs: Record<string, string[]> = {};
    invariants.forEach((inv, i) => {
      if (inv.reads === undefined) invs[inv.name] = inferredInvariant[i].texts();
    });
    const jumps: Record<string, Record<string, string[]>> = {};
    threads.forEach((t, tid) =>
      t.steps.forEach((st, pc) => {
        if (learnedJumps[tid][pc].size > 0) (jumps[t.name] ??= {})[st.label] = [...learnedJumps[tid][pc]].sort();
      }),
    );
    return { steps, invariants: invs, ...(Object.keys(jumps).length > 0 ? { jumps } : {}) };
  };

  const jumped = (tid: number, pc: number, nextPc: number): boolean => {
    if (!learnsJumps[tid][pc]) return false;
    const steps = threads[tid].steps;
    const label = nextPc >= steps.length ? DONE : steps[nextPc].label;
    if (learn) {
      learnedJumps[tid][pc].add(label);
      rebuild();
      generation++;
      return true;
    }
    throw new ModelError({ model: spec.name, thread: threads[tid].name, step: steps[pc].label }, growthMessage({ thread: threads[tid].name, step: steps[pc].label, reads: [], writes: [], jumps: [label] }));
  };

  /** Adds what a search saw beyond the inferred footprints. */
  const grow = (g: FootprintGrowth): void => {
    const tid = threads.findIndex((t) => t.name === g.thread);
    const pc = tid >= 0 ? threads[tid].steps.findIndex((st) => st.label === g.step) : -1;
    const inv = invariants.findIndex((i) => i.name === g.invariant);
    for (const k of g.reads) (pc >= 0 ? inferredReads[tid][pc] : inferredInvariant[inv])?.add(parseKey(k));
    if (pc >= 0) for (const k of g.writes) inferredWrites[tid][pc].add(parseKey(k));
    if (pc >= 0 && learnsJumps[tid][pc]) for (const label of g.jumps ?? []) learnedJumps[tid][pc].add(label);
    rebuild();
    generation++;
  };

  const hint = (): string | null => {
    if (threads.length < 2) return 'the model has one thread: nothing to reorder';
    const flat = footprints.flat();
    if (visible.every(Boolean)) {
      const i = invariantReads.findIndex((r) => flat.every((f) => footprintsOverlap(f.writes, r)));
      const keys = (r: Footprint) => r.map(keyText).map((k) => `'${k}'`).join(', ');
      if (i >= 0) return `it reduces nothing: every step may change the verdict of invariant '${invariants[i].name}' (it reads ${keys(invariantReads[i])}), so none can be deferred`;
      return 'it reduces nothing: every step writes a key some invariant reads, so none can be deferred';
    }
    for (let g = 0; g < flat.length; g++) for (let h = 0; h < flat.length; h++) if (threadOf[g] !== threadOf[h] && !dependent(flat[g], flat[h])) return null;
    return 'it reduces nothing: every step shares a key with every other thread\'s steps';
  };

  /** The transition id of thread `p`'s step `pc`, or -1 past its end. */
  const stepAt = (p: number, pc: number): number => (pc >= threads[p].steps.length ? -1 : offset[p] + pc);
  /** Whether some step thread `p` may take from step `pc` on is dependent on transition `t`. */
  const conflictAt = (p: number, pc: number, t: number): boolean => pc < threads[p].steps.length && (future[p][pc][t >>> 5] & (1 << (t & 31))) !== 0;

  let strict = false;
  let checking = false;
  let generation = 0;
  return {
    processCount: threads.length,
    get strict() {
      return strict;
    },
    get checking() {
      return checking;
    },
    get generation() {
      return generation;
    },
    prepare(options?: unknown) {
      const o = (options ?? {}) as PrepareOptions;
      strict = true;
      checking = !(o.trust ?? false);
      generation++;
      learn = o.learn ?? false;
      reset(o.footprints);
      rebuild();
    },
    processOf: (_s, action) => action % CHOICE,
    nextTransition: (s, p) => stepAt(p, s.pcs.get(p)!),
    conflictsWithFuture: (s, p, t) => conflictAt(p, s.pcs.get(p)!, t),
    stepAt,
    conflictAt,
    isVisible: (t) => visible[t],
    allowsJump: (tid, pc, nextPc) => reach[tid][pc][nextPc] === 1,
    jumped,
    get footprints() {
      return footprints;
    },
    checkStep,
    checkInvariant,
    checksInvariant: (i) => inferring || invariants[i].reads !== undefined,
    undeclared: { steps: undeclaredSteps, invariants: undeclaredInvariants, jumps: undeclaredJumps },
    inferred,
    grow,
    hint,
  };
}

/** The lock keys a step writes by naming locks statically (a step's inferred writes add the rest). */
function lockKeysOf(s: Step<any, any, any>): Footprint {
  return lockKeys(s).names.map((n) => parseKey(`lock:${n}`));
}
