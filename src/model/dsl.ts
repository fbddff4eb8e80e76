// The thread DSL: shared state plus threads of labelled atomic steps, compiled to a Model.
//
// Each thread has a program counter and Immutable locals. A step has an optional guard
// (`when`, blocking while false), lock operations (acquire before the effect, release after
// it), an effect (`do`) returning new shared state and locals, and where to go next
// (`goto`, default: the next step; 'done' ends the thread). Locks are first class, with
// owners tracked in the state: a blocked acquire is a false guard. A step marked `end` is a
// valid end point (Promela's `end:` label): a thread may rest there forever. Built-in
// properties: deadlock freedom, no sleeping under a spinlock, and progress (every thread that
// is not a daemon is infinitely often finished or at an end point, on every fair behaviour);
// the model's own liveness properties (eventually, always eventually, leads-to) beside them.
// Threads are the processes fairness speaks of (weak by default). The search never sees the
// DSL: it sees a Model whose actions are numbers `tid + 256 * choice`.
import { List, Record as IRecord, is, isList, isRecord } from 'immutable';
import type { Change, Fairness, LivenessProperty, Model, Property, StepInfo, TemporalFormula } from './model.ts';
import { livenessPredicates } from './model.ts';
import { ModelError, errorText } from './errors.ts';
import { diffValues, formatValue } from '../trace/diff.ts';
import { hasUserCode, threadIndependence, type ThreadIndependence } from '../reduce/thread-independence.ts';
import { parseKey } from '../reduce/footprint.ts';
import { ProbeMemo } from '../reduce/probe-memo.ts';
import { symmetryGroups, threadSymmetry } from '../reduce/thread-symmetry.ts';
import { trackRead, trackWrite, untracked } from './tracking.ts';
import { AccessProbe, assignedPaths, escapes, isView, probeActive, probeRead, probeWrite, probing, unprobed, viewOf } from '../reduce/access-probe.ts';
import { compileThreadVectors } from './dsl-vector.ts';
import { runningUserCode } from './running.ts';
import { DONE, MAX_THREADS, checkThreadModelSpec, twiceText } from './thread-spec-check.ts';
import { chooseProblem, effectProblem, gotoProblem, guardProblem, invariantProblem, lockNameProblem, markResultsChecked } from './step-results.ts';
import { ASSERTIONS, AssertionFailure } from './assertion.ts';
import type { LockRefs, LockKind, StepContext, StepEffect, Branch, Step, ThreadSpec, InvariantSpec, StateView, LivenessFormulaSpec, LivenessSpec, ThreadModelSpec, DslState } from './thread-spec.ts';
import type { DslWatch, DslInternals } from './dsl-internals.ts';

/** The end of a thread's program: `goto: DONE`. */
export { DONE };

export type { LockKind, StepContext, StepEffect, Branch, Step, ThreadSpec, InvariantSpec, StateView, LivenessFormulaSpec, LivenessSpec, ThreadModelSpec, DslState } from './thread-spec.ts';
export type { DslWatch, DslInternals } from './dsl-internals.ts';

/** Names of the engine's built-in properties. */
export const DEADLOCK = 'deadlock freedom';
export const NO_SLEEP_UNDER_SPINLOCK = 'no sleeping under a spinlock';
export const PROGRESS = 'progress';

const DslStateRecord = IRecord({ shared: null as unknown, pcs: List<number>(), locals: List<unknown>(), locks: List<number>() }, 'DslState');

const FREE = -1;
const CHOICE = 256;
/**
 * The choice index of the one action of a step whose guard, choose or lock-name function
 * failed an assertion (choices go up to CHOICE - 1).
 */
const FAIL = CHOICE;

/** A branch of a step, its static lock references resolved. */
interface CompiledBranch {
  readonly spec: Branch<any, any>;
  /** As traces show it. */
  readonly name: string;
  readonly acquire: readonly number[] | null;
  readonly acquireRead: readonly number[] | null;
  readonly release: readonly number[] | null;
}

interface CompiledStep {
  readonly spec: Step<any, any, any>;
  /** The step's branches, or null when it has none. */
  readonly branches: readonly CompiledBranch[] | null;
  readonly index: number;
  readonly next: number; // default successor pc
  /** Lock indices when every lock ref is a plain name (the common case), else null. */
  readonly acquire: readonly number[] | null;
  readonly acquireRead: readonly number[] | null;
  readonly release: readonly number[] | null;
  /** The lock of `tryAcquire`/`tryAcquireRead` when named statically, else null (none, or a function). */
  readonly tryLock: number | null;
  /** Whether the step has branches, or a dynamic lock ref. */
  readonly dynamic: boolean;
  /** Known statically to sleep: maySleep, or a static acquire of a mutex/rwsem. */
  readonly sleeps: boolean;
}

interface CompiledThread {
  readonly name: string;
  readonly steps: readonly CompiledStep[];
  readonly byLabel: ReadonlyMap<string, number>;
  /** Step labels in order (for messages). */
  readonly labels: readonly string[];
  readonly daemon: boolean;
  /**
   * Per program counter: a valid end point. The steps, then 'done' (steps.length), then, at
   * steps.length + 1 + pc, the thread stopped at step pc by a failed assertion (it rests
   * there: what broke is reported as the assertion, not again as a deadlock or starvation).
   */
  readonly endPoints: readonly boolean[];
}

function asArray<T>(r: T | readonly T[] | undefined): readonly T[] {
  return r === undefined ? [] : Array.isArray(r) ? (r as readonly T[]) : [r as T];
}

// FIXME(function-length): threadModel is 847 lines, over the 120 a reader can take in (test/package/function-length.test.ts holds it there): split it into named parts.
/**
 * Compiles a thread-DSL specification into a Model.
 *
 * @example
 *   threadModel({
 *     name: 'counter', shared: 0, locks: { l: 'spinlock' },
 *     threads: [0, 1].map((i) => ({ name: `t${i}`, steps: [
 *       { label: 'inc', acquire: 'l', release: 'l', do: (c) => ({ shared: c.shared + 1 }) },
 *     ] })),
 *     invariants: [{ name: 'small', check: (v) => (v.shared <= 2 ? null : `${v.shared} > 2`) }],
 *   });
 */
export function threadModel<S>(spec: ThreadModelSpec<S>): Model<DslState<S>, number> {
  // Every key, kind, name, label, goto, lock reference and the initial state, before anything else.
  checkThreadModelSpec(spec);
  const lockNames = Object.keys(spec.locks ?? {});
  const lockKinds = lockNames.map((n) => spec.locks![n]);
  const lockIndex = new Map(lockNames.map((n, i) => [n, i] as const));
  const threadNames = spec.threads.map((t) => t.name);
  const threadIndex = new Map(threadNames.map((n, i) => [n, i] as const));

  /** Lock indices of refs that are all names (checked declared), else null (resolved per state). */
  const staticLocks = (r: LockRefs<any, any> | undefined): number[] | null => {
    const arr = asArray(r);
    if (arr.some((x) => typeof x !== 'string')) return null;
    return arr.map((x) => lockIndex.get(x as string)!);
  };

  const threads: CompiledThread[] = spec.threads.map((t) => {
    const byLabel = new Map<string, number>();
    t.steps.forEach((s, i) => byLabel.set(s.label, i));
    const daemon = t.daemon ?? false;
    return {
      name: t.name,
      daemon,
      endPoints: [...t.steps.map((s) => daemon || s.end === true), true, ...t.steps.map(() => true)],
      byLabel,
      labels: t.steps.map((s) => s.label),
      steps: t.steps.map((s, i) => {
        const acquire = staticLocks(s.acquire);
        const acquireRead = staticLocks(s.acquireRead);
        const release = staticLocks(s.release);
        const tryRef = s.tryAcquire ?? s.tryAcquireRead;
        const sleepingLock = (ids: readonly (readonly number[] | null)[]) => ids.some((x) => x !== null && x.some((li) => lockKinds[li] !== 'spinlock'));
        const branches =
          s.branches?.map((b, k) => ({ spec: b, name: b.name ?? String(k + 1), acquire: staticLocks(b.acquire), acquireRead: staticLocks(b.acquireRead), release: staticLocks(b.release) })) ?? null;
        return {
          spec: s,
          branches,
          index: i,
          next: i + 1,
          acquire,
          acquireRead,
          release,
          tryLock: typeof tryRef === 'string' ? lockIndex.get(tryRef)! : null,
          dynamic: acquire === null || acquireRead === null || release === null || branches !== null || typeof tryRef === 'function',
          sleeps: (s.maySleep ?? false) || sleepingLock([acquire, acquireRead]) || (branches ?? []).some((b) => (b.spec.maySleep ?? false) || sleepingLock([b.acquire, b.acquireRead])),
        };
      }),
    };
  });

  const independence = threadIndependence(spec);

  const where = (tid: number, pc?: number) => ({
    model: spec.name,
    thread: threads[tid].name,
    step: pc !== undefined && pc < threads[tid].steps.length ? threads[tid].steps[pc].spec.label : undefined,
  });

  /** The index of the lock named `name` (from user code: a lock-name function, holds, isLocked). */
  const lockId = (name: unknown, tid: number, pc: number): number => {
    const i = typeof name === 'string' ? lockIndex.get(name) : undefined;
    if (i === undefined) throw new ModelError(where(tid, pc), lockNameProblem(name, lockNames));
    return i;
  };

  // Field ids of locks, program counters and whole (non-Record) locals while the model runs
  // as a vector model (dsl-vector.ts): the DSL's own reads and writes of them are reported to
  // the active read tracker. -1 before the model is compiled to vectors.
  const watch: DslWatch = { lock0: -1, pc0: -1, localWhole: [] };
  // Footprint keys of the locks and of each thread's own state, for the footprint probe.
  const lockPaths = lockNames.map((n) => ({ path: parseKey(`lock:${n}`), text: `lock:${n}` }));
  const threadPaths = threadNames.map((n) => ({ path: ['#thread', n], text: `thread:${n}` }));

  /** Lock i's value in `locks`, reported as a read of that lock. */
  const lockAt = (locks: List<number>, i: number): number => {
    if (watch.lock0 >= 0) trackRead(watch.lock0 + i);
    if (probeActive()) probeRead(lockPaths[i].path, lockPaths[i].text);
    return locks.get(i)!;
  };

  /** `locks` with lock i set to `v`, reported as a write of that lock. */
  const lockSet = (locks: List<number>, i: number, v: number): List<number> => {
    if (watch.lock0 >= 0) trackWrite(watch.lock0 + i);
    if (probeActive()) probeWrite(lockPaths[i].path, lockPaths[i].text);
    return locks.set(i, v);
  };

  const holdsIdx = (locks: List<number>, i: number, tid: number): boolean => {
    const v = lockAt(locks, i);
    if (v === tid) return true;
    return v <= -2 && ((-(v + 1)) & (1 << tid)) !== 0;
  };

  /** What guards and effects see (a class, so no closures are made per step). */
  class Ctx implements StepContext<S, any> {
    constructor(
      readonly shared: S,
      readonly local: any,
      readonly tid: number,
      private readonly locks: List<number>,
      private readonly pc: number,
      readonly acquired = false,
    ) {}
    get thread(): string {
      return threads[this.tid].name;
    }
    holds(lock: string): boolean {
      return holdsIdx(this.locks, lockId(lock, this.tid, this.pc), this.tid);
    }
    isLocked(lock: string): boolean {
      return lockAt(this.locks, lockId(lock, this.tid, this.pc)) !== FREE;
    }
    with(shared: S, local: any): Ctx {
      return new Ctx(shared, local, this.tid, this.locks, this.pc, this.acquired);
    }
  }

  const ctxOf = (s: DslState<S>, tid: number, locks: List<number> = s.locks): Ctx =>
    new Ctx(s.shared, s.locals.get(tid), tid, locks, s.pcs.get(tid)!);

  /** Lock indices of a step's refs: precompiled, or evaluated against the context. */
  const lockIds = (pre: readonly number[] | null, r: LockRefs<any, any> | undefined, c: Ctx): readonly number[] => {
    if (pre !== null) return pre;
    return asArray(r).map((x) => lockId(typeof x === 'function' ? runUser(c.tid, c['pc'], 'the lock name function', x, c) : x, c.tid, c['pc']));
  };

  /** The index of the lock a step's `tryAcquire`/`tryAcquireRead` names in context `c`, or null when it has none. */
  const tryLockOf = (cs: CompiledStep, c: Ctx): number | null => {
    if (cs.tryLock !== null) return cs.tryLock;
    const ref = cs.spec.tryAcquire ?? cs.spec.tryAcquireRead;
    if (ref === undefined) return null;
    return lockIds(null, ref, c)[0];
  };

  /** Whether thread `tid`'s trylock (its step `cs` has one) takes its lock on `s`. */
  const trylockTakes = (s: DslState<S>, tid: number, cs: CompiledStep): boolean => {
    const v = lockAt(s.locks, tryLockOf(cs, ctxOf(s, tid))!);
    return cs.spec.tryAcquire !== undefined ? v === FREE : v === FREE || v <= -2;
  };

  /** Runs user code, turning a throw into a located ModelError. */
  function runUser<T>(tid: number, pc: number, what: string, fn: (c: Ctx, choice?: any) => T, c: Ctx, choice?: unknown): T {
    runningUserCode.enter(where, tid, pc, what);
    try {
      return fn(c, choice);
    } catch (e) {
      if (e instanceof ModelError) throw e;
      if (e instanceof AssertionFailure) {
        // A failed assert: a verdict on the step, not an error (the callers turn it into one).
        e.where ??= what;
        throw e;
      }
      throw new ModelError(where(tid, pc), `${what} threw: ${errorText(e)}`, { cause: e });
    } finally {
      runningUserCode.leave();
    }
  }

  const holderText = (v: number): string => {
    if (v >= 0) return threads[v].name;
    const mask = -(v + 1);
    return threads.filter((_, i) => mask & (1 << i)).map((t) => t.name).join(', ') + ' for read';
  };

  /** True when thread `tid` can take its next step (fast path of blockedBy). */
  const canRun = (tid: number, pcs: List<number>, locks: List<number>, shared: S, locals: List<any>): boolean => {
    const pc = pcs.get(tid)!;
    const t = threads[tid];
    if (pc >= t.steps.length) return false;
    const cs = t.steps[pc];
    const step = cs.spec;
    if (!cs.dynamic && step.when === undefined) {
      if (cs.acquire !== null) for (const li of cs.acquire) if (lockAt(locks, li) !== FREE) return false;
      if (cs.acquireRead !== null) for (const li of cs.acquireRead) if (lockAt(locks, li) >= 0) return false;
      return true;
    }
    return blockedAt(tid, pc, locks, new Ctx(shared, locals.get(tid), tid, locks, pc)) === null;
  };

  /** Why thread `tid` cannot take its step, or null when it can. */
  const blockedBy = (s: DslState<S>, tid: number): string | null => {
    const pc = s.pcs.get(tid)!;
    const n = threads[tid].steps.length;
    if (pc === n) return 'finished';
    if (pc > n) return 'stopped when its assertion failed';
    const c = ctxOf(s, tid);
    try {
      const why = blockedAt(tid, pc, s.locks, c);
      if (why !== null) return why;
      const cs = threads[tid].steps[pc];
      const choose = cs.spec.choose;
      if (choose && choicesAt(tid, pc, choose, c).length === 0) return 'has no option enabled (choose returned an empty array)';
      if (cs.branches !== null) {
        const whys = branchBlocks(tid, pc, s.locks, c, cs.branches);
        if (whys.every((w) => w !== null)) return `has no branch enabled (${cs.branches.map((b, k) => `[${b.name}] ${whys[k]}`).join('; ')})`;
      }
    } catch (e) {
      // Its guard or choice fails an assertion: that is a step it can take.
      if (e instanceof AssertionFailure) return null;
      throw e;
    }
    return null;
  };

  /** Why thread `tid`, at step `pc` (not past its end), cannot take it, or null. */
  const blockedAt = (tid: number, pc: number, locks: List<number>, c: Ctx): string | null => {
    const cs = threads[tid].steps[pc];
    return lockOpsBlocked(tid, pc, locks, c, cs, cs.spec);
  };

  /**
   * Why the lock operations and guard of a step or a branch (`compiled`, `spec`) cannot go
   * ahead for thread `tid` at step `pc`, or null.
   */
  const lockOpsBlocked = (
    tid: number,
    pc: number,
    locks: List<number>,
    c: Ctx,
    compiled: CompiledStep | CompiledBranch,
    step: Step<any, any, any> | Branch<any, any>,
  ): string | null => {
    const cs = compiled;
    for (const li of lockIds(cs.acquire, step.acquire, c)) {
      const v = lockAt(locks, li);
      if (v === tid) return `waits for ${lockNames[li]}, which it holds itself (a lock taken twice deadlocks)`;
      if (v !== FREE) return `waits for ${lockNames[li]} (held by ${holderText(v)})`;
    }
    for (const li of lockIds(cs.acquireRead, step.acquireRead, c)) {
      if (lockKinds[li] !== 'rwsem') throw new ModelError(where(tid, pc), `acquireRead needs an rwsem, '${lockNames[li]}' is a ${lockKinds[li]}`);
      const v = lockAt(locks, li);
      if (v >= 0) return `waits for ${lockNames[li]} (held for write by ${threads[v].name})`;
    }
    if (step.when) {
      const ok = runUser(tid, pc, 'guard', step.when, c);
      if (ok === false) return 'waits (guard false)';
      if (ok !== true) throw new ModelError(where(tid, pc), guardProblem(ok));
    }
    return null;
  };

  /** Per branch of thread `tid`'s step `pc`: why it is disabled, or null when enabled. */
  const branchBlocks = (tid: number, pc: number, locks: List<number>, c: Ctx, branches: readonly CompiledBranch[]): (string | null)[] =>
    branches.map((b) => lockOpsBlocked(tid, pc, locks, c, b, b.spec));

  /**
   * The locks thread `tid` holds. Which locks a thread holds only its own steps change, so
   * this reads no other thread's doing: unseen by the footprint probe.
   */
  const locksHeldBy = (locks: List<number>, tid: number): string[] =>
    unprobed(() => {
      const out: string[] = [];
      for (let i = 0; i < lockNames.length; i++) if (holdsIdx(locks, i, tid)) out.push(lockNames[i]);
      return out;
    });

  /** The options of a step with `choose` in context `c`, checked to be an array. */
  const choicesAt = (tid: number, pc: number, choose: (c: Ctx) => unknown, c: Ctx): readonly unknown[] => {
    const options = runUser(tid, pc, 'choose', choose, c);
    if (!Array.isArray(options)) throw new ModelError(where(tid, pc), chooseProblem(options));
    return options;
  };

  const initial: DslState<S> = DslStateRecord({
    shared: spec.shared,
    pcs: List(threads.map(() => 0)),
    locals: List(spec.threads.map((t) => (t.locals === undefined ? null : t.locals))),
    locks: List(lockNames.map(() => FREE)),
  }) as unknown as DslState<S>;

  /** Appends thread `tid`'s enabled actions in `s` to `out`. */
  const threadActionsInto = (tid: number, pcs: List<number>, locks: List<number>, shared: S, locals: List<any>, out: number[]): void => {
    try {
      if (!canRun(tid, pcs, locks, shared, locals)) return;
      const pc = pcs.get(tid)!;
      const cs = threads[tid].steps[pc];
      const step = cs.spec;
      if (cs.branches !== null) {
        // Every branch's guard run before any action is added: one that fails an assertion makes the step's one action that failure.
        const whys = branchBlocks(tid, pc, locks, new Ctx(shared, locals.get(tid), tid, locks, pc), cs.branches);
        for (let k = 0; k < whys.length; k++) if (whys[k] === null) out.push(tid + CHOICE * k);
      } else if (step.choose) {
        const n = choicesAt(tid, pc, step.choose, new Ctx(shared, locals.get(tid), tid, locks, pc)).length;
        if (n > CHOICE) throw new ModelError(where(tid, pc), `choose returned ${n} options; at most ${CHOICE}`);
        for (let k = 0; k < n; k++) out.push(tid + CHOICE * k);
      } else {
        out.push(tid);
      }
    } catch (e) {
      // The guard, choice or a lock name failed an assertion: the step's one action is that failure.
      if (!(e instanceof AssertionFailure)) throw e;
      out.push(tid + CHOICE * FAIL);
    }
  };

  /**
   * What thread `tid`'s next step reads and assigns on `s` (its guard, lock operations,
   * choice, and the effect and goto of each of its actions), seen by the footprint probe.
   */
  const probeStep = (s: DslState<S>, tid: number): AccessProbe => {
    const probe = new AccessProbe();
    const root = viewOf(s.shared);
    const ps = s.set('shared', root);
    probing(probe, () => {
      const acts: number[] = [];
      threadActionsInto(tid, ps.pcs, ps.locks, ps.shared, ps.locals, acts);
      for (const a of acts) {
        const r = next(ps, a);
        assignedPaths(root, r.shared, probe);
        // Locals that keep a part of the shared state copied it: a read of that part.
        if (r.locals !== ps.locals) escapes(r.locals.get(tid), probe);
      }
    });
    // A primitive shared state cannot be watched: code that may look at it reads it.
    if (!isView(root) && hasUserCode(threads[tid].steps[ps.pcs.get(tid)!].spec)) probe.read([], '*');
    return probe;
  };

  // Probes already made and checked, so a step is probed again only on a state that differs
  // in something it read (src/reduce/probe-memo.ts); cleared when the footprints change.
  const lockByPath = new Map(lockPaths.map((l, i) => [l.path.join('\u0001'), i] as const));
  const probeMemo = new ProbeMemo((st, path) => {
    const s = st as DslState<S>;
    if (path[0] === '#lock') return s.locks.get(lockByPath.get(path.join('\u0001')) ?? -1);
    if (path[0] === '#thread') {
      const tid = threadIndex.get(path[1])!;
      return List([s.pcs.get(tid), s.locals.get(tid)]);
    }
    let v: unknown = s.shared;
    for (const seg of path) {
      if (seg === '#size') v = (v as List<unknown>).size;
      else if (isList(v)) v = v.get(Number(seg));
      else if (isRecord(v)) v = (v as unknown as { get(k: string): unknown }).get(seg);
      else return undefined;
    }
    return v;
  });
  let probedWith = -1;
  const stepIds = threads.map((_, tid) => threads.slice(0, tid).reduce((n, t) => n + t.steps.length, 0));

  /** During a reduced search: thread `tid`'s next step on `s` checked against its footprint. */
  const checkFootprint = (s: DslState<S>, tid: number): void => {
    if (probedWith !== independence.generation) {
      probeMemo.clear();
      probedWith = independence.generation;
    }
    const pc = s.pcs.get(tid)!;
    if (pc >= threads[tid].steps.length) return;
    const id = stepIds[tid] + pc;
    const local = s.locals.get(tid);
    untracked(() => {
      if (probeMemo.has(id, s, local)) return;
      const probe = probeStep(s, tid);
      independence.checkStep(tid, pc, probe);
      probeMemo.add(id, s, local, probe);
    });
  };

  /** During a reduced search: every thread's next step on `s` checked against its footprint. */
  const checkFootprints = (s: DslState<S>): void => {
    for (let tid = 0; tid < threads.length; tid++) checkFootprint(s, tid);
  };

  const actions = (s: DslState<S>): number[] => {
    if (independence.checking) checkFootprints(s);
    const out: number[] = [];
    const pcs = s.pcs;
    const locks = s.locks;
    const shared = s.shared;
    const locals = s.locals;
    for (let tid = 0; tid < threads.length; tid++) threadActionsInto(tid, pcs, locks, shared, locals, out);
    return out;
  };

  /** Where in a step's code an assertion failed, as messages say it (the effect goes unsaid). */
  const FAILED_IN: Readonly<Record<string, string>> = { guard: ' (its guard)', choose: ' (choose)', goto: ' (its goto function)', 'the lock name function': ' (a lock name function)' };
  /** The message of each state a failed assertion stopped a thread in, by the state (from next). */
  const failures = new WeakMap<object, string>();

  /** `s` with thread `tid` stopped at its step by assertion failure `e`: nothing the step did takes effect. */
  const stoppedBy = (s: DslState<S>, tid: number, e: AssertionFailure): DslState<S> => {
    const pc = s.pcs.get(tid)!;
    const t = threads[tid];
    if (spec.assertions === false) throw new ModelError(where(tid, pc), `an assertion failed ('${e.assertion}'), but the model checks none (assertions: false)`);
    const out = s.set('pcs', s.pcs.set(tid, t.steps.length + 1 + pc));
    failures.set(out, `assertion in ${t.name} at '${t.steps[pc].spec.label}'${FAILED_IN[e.where ?? ''] ?? ''}: ${e.assertion}`);
    return out;
  };

  /** The assertion thread `tid`'s guard, lock names or choice fail on `s` (its action FAIL). */
  const guardFailure = (s: DslState<S>, tid: number): AssertionFailure => {
    const pc = s.pcs.get(tid)!;
    const c = ctxOf(s, tid);
    try {
      blockedAt(tid, pc, s.locks, c);
      const cs = threads[tid].steps[pc];
      if (cs.spec.choose) choicesAt(tid, pc, cs.spec.choose, c);
      if (cs.branches !== null) branchBlocks(tid, pc, s.locks, c, cs.branches);
    } catch (e) {
      if (e instanceof AssertionFailure) return e;
      throw e;
    }
    throw new ModelError(where(tid, pc), 'its guard or choice failed an assertion once but not when run again on the same state: it depends on something outside the state');
  };

  const next = (s: DslState<S>, action: number): DslState<S> => {
    const tid = action % CHOICE;
    if ((action - tid) / CHOICE === FAIL) return stoppedBy(s, tid, guardFailure(s, tid));
    try {
      return takeStep(s, action);
    } catch (e) {
      if (e instanceof AssertionFailure) return stoppedBy(s, tid, e);
      throw e;
    }
  };

  // The guard saw each lock free (or, for read, not write-held): one held now was taken
  // earlier in this very step, or is held for read by this thread already.
  /** `locks` with the locks `ids` taken by thread `tid` (at step `pc`). */
  const acquireAll = (locks: List<number>, ids: readonly number[], tid: number, pc: number): List<number> => {
    for (const li of ids) {
      if (lockAt(locks, li) !== FREE) throw new ModelError(where(tid, pc), twiceText(lockNames[li], lockKinds[li]));
      locks = lockSet(locks, li, tid);
    }
    return locks;
  };

  /** `locks` with the rwsems `ids` taken for read by thread `tid` (`before`: the locks before its step). */
  const acquireReadAll = (locks: List<number>, ids: readonly number[], tid: number, pc: number, before: List<number>): List<number> => {
    for (const li of ids) {
      const v = lockAt(locks, li);
      const mask = v === FREE ? 0 : v >= 0 ? -1 : -(v + 1);
      if ((mask & (1 << tid)) !== 0) throw new ModelError(where(tid, pc), recursiveReadText(lockNames[li], v >= 0 || !holdsIdx(before, li, tid)));
      locks = lockSet(locks, li, -((mask | (1 << tid)) + 1));
    }
    return locks;
  };

  /** `locks` with the locks `ids` released by thread `tid`. */
  const releaseAll = (locks: List<number>, ids: readonly number[], tid: number, pc: number): List<number> => {
    for (const li of ids) {
      const v = lockAt(locks, li);
      if (v === tid) locks = lockSet(locks, li, FREE);
      else if (v <= -2 && (-(v + 1)) & (1 << tid)) {
        const mask = -(v + 1) & ~(1 << tid);
        locks = lockSet(locks, li, mask === 0 ? FREE : -(mask + 1));
      } else throw new ModelError(where(tid, pc), `releases ${lockNames[li]}, which it does not hold`);
    }
    return locks;
  };

  /** The successor of `s` by `action` (a step's lock operations, choice or branch, effect and goto). */
  const takeStep = (s: DslState<S>, action: number): DslState<S> => {
    const tid = action % CHOICE;
    const choiceIdx = (action - tid) / CHOICE;
    // Each field of the state Record read once (a Record getter is a lookup chain).
    const pcs0 = s.pcs;
    const locks0 = s.locks;
    const shared0 = s.shared;
    const locals0 = s.locals;
    const pc = pcs0.get(tid)!;
    const t = threads[tid];
    if (pc >= t.steps.length) throw new ModelError(where(tid), 'action for a finished thread');
    const cstep = t.steps[pc];
    const step = cstep.spec;
    const branch = cstep.branches !== null ? cstep.branches[choiceIdx] : null;
    const c0 = new Ctx(shared0, locals0.get(tid), tid, locks0, pc);
    let locks = locks0;
    // The step's own lock operations, then its branch's.
    locks = acquireAll(locks, lockIds(cstep.acquire, step.acquire, c0), tid, pc);
    locks = acquireReadAll(locks, lockIds(cstep.acquireRead, step.acquireRead, c0), tid, pc, locks0);
    if (branch !== null) {
      locks = acquireAll(locks, lockIds(branch.acquire, branch.spec.acquire, c0), tid, pc);
      locks = acquireReadAll(locks, lockIds(branch.acquireRead, branch.spec.acquireRead, c0), tid, pc, locks0);
    }
    let acquired = false;
    const tryLock = tryLockOf(cstep, c0);
    if (tryLock !== null) {
      const li = tryLock;
      const v = lockAt(locks, li);
      if (step.tryAcquire !== undefined) {
        if (v === FREE) {
          locks = lockSet(locks, li, tid);
          acquired = true;
        }
      } else if (v === FREE || v <= -2) {
        if (lockKinds[li] !== 'rwsem') throw new ModelError(where(tid, pc), `tryAcquireRead needs an rwsem, '${lockNames[li]}' is a ${lockKinds[li]}`);
        const mask = v === FREE ? 0 : -(v + 1);
        if ((mask & (1 << tid)) !== 0) throw new ModelError(where(tid, pc), `takes rwsem '${lockNames[li]}' by down_read_trylock while already holding it for read: the model counts one read hold per thread; drop the second`);
        locks = lockSet(locks, li, -((mask | (1 << tid)) + 1));
        acquired = true;
      }
    }
    const c1 = locks === locks0 ? c0 : new Ctx(shared0, c0.local, tid, locks, pc, acquired);
    const choice = step.choose ? choicesAt(tid, pc, step.choose, c0)[choiceIdx] : undefined;
    const effect = branch !== null ? branch.spec.do : step.do;
    const eff = effect ? runUser(tid, pc, 'effect', effect, c1, choice) : undefined;
    if (eff !== undefined) {
      const problem = effectProblem(eff);
      if (problem !== null) throw new ModelError(where(tid, pc), problem);
    }
    const shared = eff && eff.shared !== undefined ? (eff.shared as S) : shared0;
    const local = eff && 'local' in eff ? eff.local : c0.local;
    if (branch !== null) locks = releaseAll(locks, lockIds(branch.release, branch.spec.release, c0), tid, pc);
    locks = releaseAll(locks, lockIds(cstep.release, step.release, c0), tid, pc);
    let target: unknown = eff ? eff.goto : undefined;
    let from = "the effect's goto is";
    const go = branch?.spec.goto ?? step.goto;
    if (target === undefined && go !== undefined) {
      if (typeof go === 'function') {
        target = runUser(tid, pc, 'goto', go, c1.with(shared, local));
        from = 'goto returned';
        // A goto function must name where to go: undefined is a forgotten branch, not "next".
        if (target === undefined) throw new ModelError(where(tid, pc), gotoProblem(target, from, t.name, t.labels));
      } else target = go;
    }
    let nextPc = cstep.next;
    if (target !== undefined) {
      if (target === DONE) nextPc = t.steps.length;
      else {
        const j = typeof target === 'string' ? t.byLabel.get(target) : undefined;
        if (j === undefined) throw new ModelError(where(tid, pc), gotoProblem(target, from, t.name, t.labels));
        nextPc = j;
      }
    }
    // A step declaring no `targets` may jump anywhere: the jump is learned (or the search runs again with it).
    if (independence.strict && !independence.allowsJump(tid, pc, nextPc) && !independence.jumped(tid, pc, nextPc)) {
      throw new ModelError(where(tid, pc), `jumps to '${t.steps[nextPc].spec.label}', which is not among its declared 'targets' (partial-order reduction needs every jump declared)`);
    }
    if (nextPc >= t.steps.length) {
      const still = locksHeldBy(locks, tid);
      if (still.length) throw new ModelError(where(tid, pc), `thread ends holding ${still.join(', ')}`);
    }
    // One new Record (withMutations), not one per changed field.
    const locals = local !== c0.local ? locals0.set(tid, local) : locals0;
    const pcs = pcs0.set(tid, nextPc);
    return s.withMutations((m) => {
      if (shared !== shared0) m.set('shared', shared);
      if (locals !== locals0) m.set('locals', locals);
      m.set('pcs', pcs);
      if (locks !== locks0) m.set('locks', locks);
    });
  };

  const labelAt = (s: DslState<S>, tid: number): string => {
    const pc = s.pcs.get(tid)!;
    const steps = threads[tid].steps;
    if (pc < steps.length) return steps[pc].spec.label;
    return pc === steps.length ? DONE : `${steps[pc - steps.length - 1].spec.label} (assertion failed)`;
  };

  const tidOf = (x: number | string): number => {
    if (typeof x === 'number') return x;
    const i = threadIndex.get(x);
    if (i === undefined) throw new Error(`no thread named '${x}'`);
    return i;
  };

  /** What invariants see (a class, so no closures are made per state checked). */
  class View implements StateView<S> {
    constructor(private readonly s: DslState<S>) {}
    get shared(): S {
      return this.s.shared;
    }
    get threadNames(): readonly string[] {
      return threadNames;
    }
    local(x: number | string): any {
      const tid = tidOf(x);
      if (watch.pc0 >= 0 && watch.localWhole[tid] >= 0) trackRead(watch.localWhole[tid]);
      if (probeActive()) probeRead(threadPaths[tid].path, threadPaths[tid].text);
      return this.s.locals.get(tid);
    }
    at(x: number | string): string {
      const tid = tidOf(x);
      if (watch.pc0 >= 0) trackRead(watch.pc0 + tid);
      if (probeActive()) probeRead(threadPaths[tid].path, threadPaths[tid].text);
      return labelAt(this.s, tid);
    }
    holder(lock: string): string | null {
      const i = lockIndex.get(lock);
      if (i === undefined) throw new Error(`lock '${lock}' is not declared`);
      const v = lockAt(this.s.locks, i);
      return v === FREE ? null : holderText(v);
    }
  }
  const view = (s: DslState<S>): StateView<S> => new View(s);

  /** During a reduced search: what invariant `i` reads on `s` checked against its footprint. */
  const checkInvariantReads = (i: number, inv: InvariantSpec<S>, s: DslState<S>): void => {
    if (probedWith !== independence.generation) {
      probeMemo.clear();
      probedWith = independence.generation;
    }
    const id = -1 - i;
    untracked(() => {
      if (probeMemo.has(id, s, null)) return;
      const probe = new AccessProbe();
      const root = viewOf(s.shared);
      probing(probe, () => inv.check(view(s.set('shared', root))));
      if (!isView(root)) probe.read([], '*');
      independence.checkInvariant(i, probe);
      probeMemo.add(id, s, null, probe);
    });
  };

  const properties: Property<DslState<S>, number>[] = [];
  for (const [i, inv] of (spec.invariants ?? []).entries()) {
    properties.push({
      kind: 'invariant',
      name: inv.name,
      check: (s) => {
        let r: unknown;
        try {
          if (independence.checking && independence.checksInvariant(i)) checkInvariantReads(i, inv, s);
          runningUserCode.enterInvariant(spec.name, inv.name);
          r = inv.check(view(s));
        } catch (e) {
          throw new ModelError({ model: spec.name }, `invariant '${inv.name}' ${thrown(e)}`, { cause: e });
        } finally {
          runningUserCode.leave();
        }
        if (r === null || (typeof r === 'string' && r !== '')) return r;
        throw new ModelError({ model: spec.name }, invariantProblem(r, inv.name));
      },
    });
  }
  if (spec.sleepCheck ?? true) {
    properties.push({
      kind: 'transition',
      name: NO_SLEEP_UNDER_SPINLOCK,
      check: (s, action, n) => {
        const tid = action % CHOICE;
        const pc = s.pcs.get(tid)!;
        const cs = threads[tid].steps[pc];
        if (!cs.sleeps && !cs.dynamic) return null;
        // A step stopped by a failed assertion took no lock and did not sleep.
        if (n.pcs.get(tid)! > threads[tid].steps.length) return null;
        let held: string[] | null = null;
        for (let i = 0; i < lockNames.length; i++) {
          if (lockKinds[i] === 'spinlock' && holdsIdx(s.locks, i, tid)) (held ??= []).push(lockNames[i]);
        }
        if (held === null) return null;
        const step = cs.spec;
        const c = ctxOf(s, tid);
        const branch = cs.branches !== null ? cs.branches[(action - tid) / CHOICE] : null;
        const taken = [...lockIds(cs.acquire, step.acquire, c), ...lockIds(cs.acquireRead, step.acquireRead, c)];
        if (branch !== null) taken.push(...lockIds(branch.acquire, branch.spec.acquire, c), ...lockIds(branch.acquireRead, branch.spec.acquireRead, c));
        const sleepsOn = taken.filter((li) => lockKinds[li] !== 'spinlock').map((li) => lockNames[li]);
        const maySleep = (step.maySleep ?? false) || (branch?.spec.maySleep ?? false);
        if (!maySleep && sleepsOn.length === 0) return null;
        const how = maySleep ? 'may sleep' : `takes ${sleepsOn.join(', ')} (may sleep)`;
        const kernel = branch?.spec.kernel ?? step.kernel;
        return `${threads[tid].name} at '${step.label}${branch !== null ? `[${branch.name}]` : ''}'${kernel ? ` (${kernel})` : ''} ${how} while holding spinlock ${held.join(', ')}`;
      },
    });
  }
  if (spec.assertions ?? true) properties.push({
    kind: 'transition',
    name: ASSERTIONS,
    // A step whose code failed an assertion leaves its thread stopped (stoppedBy).
    check: (s, action, n) => {
      const tid = action % CHOICE;
      if (n.pcs.get(tid)! <= threads[tid].steps.length) return null;
      return failures.get(n) ?? failures.get(next(s, action))!;
    },
  });
  if (spec.deadlock ?? true) {
    properties.push({
      kind: 'deadlock',
      name: DEADLOCK,
      isEnd: (s) => threads.every((t, tid) => t.endPoints[s.pcs.get(tid)!]),
      // Threads resting at an end point (or stopped by a failed assertion) are named after those that wait elsewhere.
      explain: (s) => {
        const waiting = threads.map((t, tid) => ({ t, tid, why: blockedBy(s, tid) })).filter((x) => x.why !== 'finished' && x.why !== null);
        const atEnd = (x: { t: CompiledThread; tid: number }) => x.t.endPoints[s.pcs.get(x.tid)!];
        const stopped = (x: { t: CompiledThread; tid: number }) => s.pcs.get(x.tid)! > x.t.steps.length;
        return [
          ...waiting.filter((x) => !atEnd(x)).map((x) => `${x.t.name} at '${labelAt(s, x.tid)}' ${x.why}`),
          ...waiting.filter((x) => atEnd(x) && !stopped(x)).map((x) => `${x.t.name} rests at '${labelAt(s, x.tid)}' (an end point)`),
          ...waiting.filter(stopped).map((x) => `${x.t.name} stopped at '${x.t.steps[s.pcs.get(x.tid)! - x.t.steps.length - 1].spec.label}' by a failed assertion`),
        ].join('; ');
      },
    });
  }
  if (spec.progress ?? true) properties.push(progressProperty());
  for (const l of spec.liveness ?? []) properties.push(livenessProperty(l));

  /** The program counter of thread `tid`, reported as a read of it (vector engine). */
  function pcOf(s: DslState<S>, tid: number): number {
    if (watch.pc0 >= 0) trackRead(watch.pc0 + tid);
    return s.pcs.get(tid)!;
  }

  /** What thread `tid` does on a loop of states where it never reaches an end point. */
  function starvedOn(tid: number, loop: readonly DslState<S>[]): string {
    const name = threads[tid].name;
    const labels: string[] = [];
    for (const st of loop) {
      const l = labelAt(st, tid);
      if (!labels.includes(l)) labels.push(l);
    }
    if (labels.length > 1) return `${name} loops through ${labels.map((l) => `'${l}'`).join(', ')} and never reaches an end point`;
    const why = loop.map((st) => blockedBy(st, tid));
    const could = why.filter((w) => w === null).length;
    if (could === 0) return `${name} is stuck at '${labels[0]}', where it ${why[0]}${why.some((w) => w !== why[0]) ? ' (and likewise in the loop\'s other states)' : ''}`;
    return `${name} is stuck at '${labels[0]}', where it could move in ${could} of the loop's ${loop.length} states but is never scheduled`;
  }

  /** Built-in progress: GF(finished or at an end point) for each thread that is not a daemon. */
  function progressProperty(): LivenessProperty<DslState<S>> {
    const formulas: TemporalFormula<DslState<S>>[] = [];
    threads.forEach((t, tid) => {
      if (t.endPoints.every((e) => e)) return;
      formulas.push({
        form: 'alwaysEventually',
        what: `${t.name} finishes or rests at an end point`,
        p: (s) => t.endPoints[pcOf(s, tid)],
        explainLoop: (loop) => starvedOn(tid, loop),
      });
    });
    return { kind: 'liveness', name: PROGRESS, formulas };
  }

  /** One of the model's own liveness properties, over the invariants' view (its shape checked by thread-spec-check.ts). */
  function livenessProperty(l: LivenessSpec<S>): LivenessProperty<DslState<S>> {
    if ('all' in l) return { kind: 'liveness', name: l.name, formulas: l.all.map((f) => formulaOf(l.name, f, f.what)) };
    return { kind: 'liveness', name: l.name, formulas: [formulaOf(l.name, l, l.name)] };
  }

  /** One formula of liveness property `name`, saying `what` it asks. */
  function formulaOf(name: string, l: LivenessFormulaSpec<S>, what: string): TemporalFormula<DslState<S>> {
    const predicate = (fn: (v: StateView<S>) => unknown, role: string): ((s: DslState<S>) => boolean) => (s) => {
      let r: unknown;
      try {
        r = fn(view(s));
      } catch (e) {
        throw new ModelError({ model: spec.name }, `liveness property '${name}' ${thrown(e)}`, { cause: e });
      }
      if (typeof r !== 'boolean') throw new ModelError({ model: spec.name }, `liveness property '${name}': ${role} must return true or false, got ${formatValue(r)}`);
      return r;
    };
    if ('eventually' in l) return { form: 'eventually', what, p: predicate(l.eventually, 'eventually') };
    if ('alwaysEventually' in l) return { form: 'alwaysEventually', what, p: predicate(l.alwaysEventually, 'alwaysEventually') };
    return { form: 'leadsTo', what, p: predicate(l.leadsTo[0], 'leadsTo[0]'), q: predicate(l.leadsTo[1], 'leadsTo[1]') };
  }


  const describeStep = (s: DslState<S>, action: number, n: DslState<S>): StepInfo => {
    const tid = action % CHOICE;
    const pc = s.pcs.get(tid)!;
    const cs = threads[tid].steps[pc];
    const step = cs.spec;
    let label = step.label;
    const choiceIdx = (action - tid) / CHOICE;
    if (step.choose && choiceIdx !== FAIL) {
      const choice = runUser(tid, pc, 'choose', step.choose, ctxOf(s, tid))[choiceIdx];
      label += `(${formatValue(choice)})`;
    }
    const branch = cs.branches !== null && choiceIdx !== FAIL ? cs.branches[choiceIdx] : null;
    if (branch !== null) label += `[${branch.name}]${branchLocksText(s, tid, branch)}`;
    if (n.pcs.get(tid)! > threads[tid].steps.length) label += ' (assertion failed)';
    else if ((step.tryAcquire ?? step.tryAcquireRead) !== undefined && !trylockTakes(s, tid, threads[tid].steps[pc])) label += ' (trylock failed)';
    return { actor: threads[tid].name, label, kernel: branch?.spec.kernel ?? step.kernel, locksHeld: locksHeldBy(n.locks, tid), note: branch?.spec.note ?? step.note };
  };

  /** What a branch's own lock operations do, for its trace line: ` (takes a; releases b)`, or ''. */
  const branchLocksText = (s: DslState<S>, tid: number, b: CompiledBranch): string => {
    const c = ctxOf(s, tid);
    const names = (pre: readonly number[] | null, r: LockRefs<any, any> | undefined) => lockIds(pre, r, c).map((li) => lockNames[li]);
    const parts = [
      ...names(b.acquire, b.spec.acquire).map((l) => `takes ${l}`),
      ...names(b.acquireRead, b.spec.acquireRead).map((l) => `takes ${l} for read`),
      ...names(b.release, b.spec.release).map((l) => `releases ${l}`),
    ];
    return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
  };

  const diff = (a: DslState<S>, b: DslState<S>): Change[] => {
    const out: Change[] = [];
    diffValues(a.shared, b.shared, '', out);
    for (let tid = 0; tid < threads.length; tid++) {
      const la = a.locals.get(tid);
      const lb = b.locals.get(tid);
      if (!is(la, lb)) diffValues(la, lb, threads[tid].name + '.', out);
    }
    for (let i = 0; i < lockNames.length; i++) {
      const va = a.locks.get(i)!;
      const vb = b.locks.get(i)!;
      if (va !== vb) out.push({ path: lockNames[i], before: va === FREE ? 'free' : holderText(va), after: vb === FREE ? 'free' : holderText(vb) });
    }
    return out;
  };

  const toJSON = (s: DslState<S>) => ({
    shared: spec.sharedToJSON ? spec.sharedToJSON(s.shared) : toPlain(s.shared),
    threads: Object.fromEntries(threads.map((t, tid) => [t.name, { at: labelAt(s, tid), locals: toPlain(s.locals.get(tid)) }])),
    locks: Object.fromEntries(lockNames.map((n, i) => [n, s.locks.get(i) === FREE ? null : holderText(s.locks.get(i)!)])),
  });

  const symmetry = threadSymmetry(spec, lockNames.length);
  const internals: DslInternals<S> = {
    spec,
    threads,
    lockNames,
    lockKinds,
    initial,
    watch,
    makeState: (shared, pcs, locals, locks) => DslStateRecord({ shared, pcs, locals, locks }) as unknown as DslState<S>,
    threadActionsInto,
    next,
    invariants: properties.filter((p): p is Extract<Property<DslState<S>, number>, { kind: 'invariant' }> => p.kind === 'invariant'),
    transitions: properties.filter((p): p is Extract<Property<DslState<S>, number>, { kind: 'transition' }> => p.kind === 'transition'),
    processOf: (a) => a % CHOICE,
    predicates: livenessPredicates(properties.filter((p): p is LivenessProperty<DslState<S>> => p.kind === 'liveness')),
    explainDeadlock: (s) => (properties.find((p) => p.kind === 'deadlock') as Extract<Property<DslState<S>, number>, { kind: 'deadlock' }> | undefined)?.explain(s) ?? '',
    groups: symmetryGroups(spec),
    symmetryRefusal: symmetry.refusal,
    independence,
    checkFootprint: (s, tid) => {
      if (independence.checking) checkFootprint(s, tid);
    },
  };

  return markResultsChecked({
    name: spec.name,
    initStates: () => [initial],
    actions,
    next,
    properties,
    formatAction: (s, a) => {
      const tid = a % CHOICE;
      const branches = s.pcs.get(tid)! < threads[tid].steps.length ? threads[tid].steps[s.pcs.get(tid)!].branches : null;
      const k = (a - tid) / CHOICE;
      return `${threads[tid].name}: ${labelAt(s, tid)}${branches !== null && k !== FAIL ? `[${branches[k].name}]` : ''}`;
    },
    describeStep,
    diff,
    toJSON,
    actorOf: (_s, a) => a % CHOICE,
    processes: { names: threadNames, fairness: spec.threads.map((t) => t.fairness ?? 'weak'), of: (_s, a) => a % CHOICE },
    allActions: () => threads.flatMap((t) => t.steps.map((st) => `${t.name}: ${st.spec.label}`)),
    independence,
    symmetry,
    vectorize: (options) => compileThreadVectors(internals, options ?? {}),
  });
}

/** The message for a step taking an rwsem for read that its thread already holds (`inStep`: taken earlier in the same step). */
function recursiveReadText(lock: string, inStep: boolean): string {
  if (inStep) return `acquires '${lock}' twice in one step (an rwsem taken twice by one thread can deadlock): take it once`;
  return `takes rwsem '${lock}' for read while already holding it for read: a recursive down_read deadlocks once a writer waits between the two (lockdep reports it)`;
}

/** "threw: …" for an error of a property's code; a failed assert there is a misplaced one. */
function thrown(e: unknown): string {
  if (e instanceof AssertionFailure) return `called assert, which failed ('${e.assertion}'): assert belongs in a step's code; a property returns what broke instead`;
  return `threw: ${errorText(e)}`;
}

function toPlain(v: unknown): unknown {
  return v !== null && typeof v === 'object' && 'toJS' in (v as object) ? (v as { toJS(): unknown }).toJS() : v;
}
