// The thread DSL's vocabulary: what a model author writes (locks, steps, branches, threads,
// invariants, liveness properties, the model itself) and the state the DSL compiles it to.
// dsl.ts compiles these to a Model; the reductions and the spec checks read them.
import type { List } from 'immutable';
import type { Fairness } from './model.ts';

/**
 * A spinlock, a sleeping mutex, or a reader/writer semaphore. Holding a lock never makes a
 * thread atomic (other threads keep taking steps; only acquiring a held lock waits); a step
 * that may sleep, or takes a mutex or rwsem, while its thread holds a spinlock violates 'no
 * sleeping under a spinlock'.
 */
export type LockKind = 'spinlock' | 'mutex' | 'rwsem';

/** What a guard or effect sees. */
export interface StepContext<S, L> {
  readonly shared: S;
  readonly local: L;
  /** Thread index. */
  readonly tid: number;
  /** Thread name. */
  readonly thread: string;
  /** Whether this thread holds the named lock (exclusively or for read). */
  holds(lock: string): boolean;
  /** Whether the named lock is held by anyone. */
  isLocked(lock: string): boolean;
  /**
   * In the effect and goto function of a step with `tryAcquire` or `tryAcquireRead`: whether
   * the trylock took its lock (spin_trylock() returned 1). False everywhere else.
   */
  readonly acquired: boolean;
}

/** What an effect returns: the parts it changed, and optionally where to go. */
export interface StepEffect<S, L> {
  readonly shared?: S;
  readonly local?: L;
  readonly goto?: string;
}

/** A lock by name, or a function of the step's context naming it. */
export type LockRef<S, L> = string | ((c: StepContext<S, L>) => string);
/** One lock reference or several. */
export type LockRefs<S, L> = LockRef<S, L> | readonly LockRef<S, L>[];

/**
 * One branch of a step with `branches` (a Promela `if` option, `:: guard -> lock; …`): its
 * own guard, lock operations, effect and goto. The step offers one action per branch enabled
 * (its guard true and its locks free), chosen non-deterministically; traces show it as
 * `label[name]`.
 */
export interface Branch<S, L> {
  /** Shown in traces as `label[name]` (default: its position, 1-based). Unique within the step. */
  readonly name?: string;
  /** The kernel function this branch stands for (default: the step's). */
  readonly kernel?: string;
  /** What the branch does (default: the step's note). */
  readonly note?: string;
  /** Guard of this branch, after the step's own `when`. */
  readonly when?: (c: StepContext<S, L>) => boolean;
  /** Locks this branch takes, after the step's own `acquire`; the branch is disabled while one is held. */
  readonly acquire?: LockRefs<S, L>;
  readonly acquireRead?: LockRefs<S, L>;
  /** Locks this branch releases after its effect (before the step's own `release`). */
  readonly release?: LockRefs<S, L>;
  /** The branch may sleep (as Step.maySleep). */
  readonly maySleep?: boolean;
  /** Effect of this branch. */
  readonly do?: (c: StepContext<S, L>) => StepEffect<S, L> | void;
  /** Where this branch goes (default: the step's goto, else the next step). */
  readonly goto?: string | ((c: StepContext<S, L>) => string);
}

/** One labelled atomic step. */
export interface Step<S, L, C = unknown> {
  /** Unique within its thread; shown in traces and used by `goto`. */
  readonly label: string;
  /** The kernel (or driver) function this step stands for. */
  readonly kernel?: string;
  /** What the step does, in the code's words; shown in traces. */
  readonly note?: string;
  /** Locks taken (exclusively) before the effect; the step blocks while one is held. */
  readonly acquire?: LockRefs<S, L>;
  /** Reader/writer semaphores taken for read before the effect. */
  readonly acquireRead?: LockRefs<S, L>;
  /**
   * A lock taken only if it is free, without waiting, before the effect (spin_trylock,
   * mutex_trylock, down_write_trylock): the step never blocks on it and never sleeps for it
   * (a mutex_trylock under a spinlock is allowed). The effect and goto read `acquired` to
   * know whether it was taken. A lock the thread holds already is not free: the trylock fails.
   */
  readonly tryAcquire?: LockRef<S, L>;
  /**
   * An rwsem taken for read only if no writer holds it (down_read_trylock), like
   * `tryAcquire`. FIXME: as for `acquireRead`, waiting writers are not modelled (the kernel's
   * down_read_trylock also fails while a writer waits); a thread already holding it for read
   * is a model error (the DSL counts one read hold per thread).
   */
  readonly tryAcquireRead?: LockRef<S, L>;
  /** Locks released after the effect. */
  readonly release?: LockRefs<S, L>;
  /** The step may sleep (mutex_lock, wait_event, GFP_KERNEL allocation, …). */
  readonly maySleep?: boolean;
  /**
   * A valid end point (Promela's `end:` label): a thread waiting here forever is not
   * deadlocked, and a thread resting here makes progress (e.g. an idle loop's head, a
   * worker waiting for work). Default false.
   */
  readonly end?: boolean;
  /** Guard: the step blocks while this is false. */
  readonly when?: (c: StepContext<S, L>) => boolean;
  /** Non-deterministic choice: one action per element; the effect receives it. */
  readonly choose?: (c: StepContext<S, L>) => readonly C[];
  /** Effect: returns what changed (or nothing). */
  readonly do?: (c: StepContext<S, L>, choice: C) => StepEffect<S, L> | void;
  /**
   * Alternatives with their own guard, locks, effect and goto (Promela's `if` whose options
   * lock differently): one action per enabled branch. The step's own `when`, `acquire` and
   * `release` apply to every branch; a step with branches has no `choose` or `do` of its own.
   */
  readonly branches?: readonly Branch<S, L>[];
  /** Next step's label, or DONE; default the next step in the list (DONE after the last). */
  readonly goto?: string | ((c: StepContext<S, L>) => string);
  /**
   * Shared fields the guard, choice, effect, goto function and lock-name functions read, for
   * partial-order reduction: keys such as `seq`, `pte[0]`, `pte[*]`, `pages`, `lock:l` (for
   * `isLocked`); reading a key the step declares in `writes` needs no entry here. Default:
   * everything, unless the step has no code at all (see src/reduce/thread-independence.ts).
   * Checked with --por: a step reading an undeclared key stops the search (a model error).
   */
  readonly reads?: readonly string[];
  /**
   * Shared fields the step assigns (same keys; default as for `reads`). Locks the step
   * acquires or releases by name are added automatically; locks named by a function must be
   * listed (`lock:ptl[*]`), else the step counts as touching every lock. Checked with --por.
   */
  readonly writes?: readonly string[];
  /**
   * Shared fields the effect changes by a read-modify-write (get_page/put_page on a
   * refcount). Partial-order reduction treats them as writes: that two such updates commute
   * is a claim about values no check can confirm. Kept to document intent.
   */
  readonly updates?: readonly string[];
  /**
   * Every label (or DONE) a goto function or an effect's `goto` may return, for partial-order
   * reduction. Without it a goto function may go anywhere; an effect may return only a label
   * its step could reach anyway (checked during a --por search).
   */
  readonly targets?: readonly string[];
}

/** One thread: a name, initial locals and a program. */
export interface ThreadSpec<S, L = unknown> {
  readonly name: string;
  readonly locals?: L;
  readonly steps: readonly Step<S, L, any>[];
  /**
   * A daemon thread need not finish (a device that keeps accessing memory): shorthand for
   * `end: true` on every one of its steps, so the progress property asks nothing of it.
   */
  readonly daemon?: boolean;
  /**
   * How fairly the thread is scheduled, for liveness (default 'weak': a thread that stays
   * able to move eventually moves, as kernel schedulers give). `--fairness` overrides it.
   */
  readonly fairness?: Fairness;
  /**
   * Threads in the same group are interchangeable (symmetry reduction): they must share the
   * very same step objects, and no step may depend on the thread's index or name. See
   * src/reduce/thread-symmetry.ts for the conditions.
   */
  readonly group?: string;
}

/** A named invariant over the whole state. */
export interface InvariantSpec<S> {
  readonly name: string;
  /** Returns null, or a message naming the values that broke the invariant. */
  readonly check: (v: StateView<S>) => string | null;
  /**
   * The shared fields (`lock:NAME` for `holder`, `thread:NAME` for `local` and `at`) the check
   * reads, for partial-order reduction: steps writing none of them are invisible to it.
   * Default: it may read anything, thread locals and program counters included (no step is
   * then invisible). Checked with --por: reading an undeclared key stops the search.
   */
  readonly reads?: readonly string[];
}

/** Read access to a DSL state, for invariants. */
export interface StateView<S> {
  readonly shared: S;
  /** Locals of thread `tid` (or by name). */
  local<L = any>(thread: number | string): L;
  /** The label a thread is at, or DONE. */
  at(thread: number | string): string;
  /** Name of the thread holding a lock, or null. */
  holder(lock: string): string | null;
  readonly threadNames: readonly string[];
}

/**
 * A temporal formula over the same view as invariants, read over every fair infinite
 * behaviour: `eventually` (some state satisfies it), `alwaysEventually` (it holds infinitely
 * often), or `leadsTo: [p, q]` (every state satisfying p is followed, then or later, by one
 * satisfying q).
 */
export type LivenessFormulaSpec<S> =
  | { readonly eventually: (v: StateView<S>) => boolean }
  | { readonly alwaysEventually: (v: StateView<S>) => boolean }
  | { readonly leadsTo: readonly [(v: StateView<S>) => boolean, (v: StateView<S>) => boolean] };

/**
 * One of the model's own liveness properties: a formula, or `all` of several (each saying
 * `what` it asks, for messages), e.g. one per thread.
 *
 * @example
 *   { name: 'every philosopher eats', all: [0, 1, 2].map((i) => ({ what: `phil${i} eats`, alwaysEventually: (v) => v.at(i) === 'eat' })) }
 */
export type LivenessSpec<S> = { readonly name: string } & (LivenessFormulaSpec<S> | { readonly all: readonly ({ readonly what: string } & LivenessFormulaSpec<S>)[] });

/** The whole model written in the DSL. */
export interface ThreadModelSpec<S> {
  readonly name: string;
  readonly shared: S;
  readonly locks?: Readonly<Record<string, LockKind>>;
  readonly threads: readonly ThreadSpec<S, any>[];
  readonly invariants?: readonly InvariantSpec<S>[];
  /** Check deadlock freedom (default true). */
  readonly deadlock?: boolean;
  /** Check no sleeping under a spinlock (default true). */
  readonly sleepCheck?: boolean;
  /**
   * Check the steps' assertions (default true): a failed `assert` in a step's code violates
   * the property 'assertions'. With false a failed assert is an error.
   */
  readonly assertions?: boolean;
  /**
   * Check progress (default true): on every fair behaviour, each thread that is not a daemon
   * is infinitely often finished or at an end point (`end: true`). A thread starved forever
   * at another step, or looping forever through other steps, violates it.
   */
  readonly progress?: boolean;
  /** The model's own liveness properties. */
  readonly liveness?: readonly LivenessSpec<S>[];
  /** Readable names for changes of shared state (default: the field path). */
  readonly sharedToJSON?: (s: S) => unknown;
  /**
   * Strings the state may hold beyond those of the initial state (e.g. every value of a
   * string enum): the vector engine gives them small codes (one byte in a frontier state)
   * instead of hashed ones. Optional; any string works without it.
   */
  readonly strings?: readonly string[];
}

/** The DSL's state: shared data, program counters, thread locals, lock owners. */
export interface DslState<S = unknown> {
  readonly shared: S;
  readonly pcs: List<number>;
  readonly locals: List<unknown>;
  /** Per declared lock: -1 free; ≥0 owner tid; ≤-2 rwsem readers, -(mask+1). */
  readonly locks: List<number>;
  get<K extends keyof DslState<S>>(k: K): DslState<S>[K];
  set<K extends keyof DslState<S>>(k: K, v: DslState<S>[K]): DslState<S>;
  withMutations(fn: (mutable: DslState<S>) => unknown): DslState<S>;
}
