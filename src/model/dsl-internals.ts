// What the vector compiler (dsl-vector.ts) needs of a compiled thread model: its threads,
// locks, successor function, properties and reduction tables.
import type { List } from 'immutable';
import type { Property } from './model.ts';
import type { ThreadIndependence } from '../reduce/thread-independence.ts';
import type { DslState, LockKind, Step, ThreadModelSpec } from './thread-spec.ts';

/** Slots at which the DSL reports its own reads and writes while compiled to vectors (-1: not compiled). */
export interface DslWatch {
  lock0: number;
  pc0: number;
  /** Per thread: the slot of its locals when they are one primitive (read whenever used), else -1. */
  localWhole: number[];
}

/** What the vector compiler (dsl-vector.ts) needs of a thread model. */
export interface DslInternals<S> {
  readonly spec: ThreadModelSpec<S>;
  readonly threads: readonly {
    readonly name: string;
    readonly daemon: boolean;
    readonly steps: readonly { readonly spec: Step<S, any, any> }[];
    /**
     * Per program counter — the steps, then 'done', then one per step where the thread
     * stopped when an assertion failed there — whether the thread may rest there.
     */
    readonly endPoints: readonly boolean[];
  }[];
  readonly lockNames: readonly string[];
  readonly lockKinds: readonly LockKind[];
  readonly initial: DslState<S>;
  readonly watch: DslWatch;
  makeState(shared: S, pcs: List<number>, locals: List<unknown>, locks: List<number>): DslState<S>;
  threadActionsInto(tid: number, pcs: List<number>, locks: List<number>, shared: S, locals: List<any>, out: number[]): void;
  next(s: DslState<S>, action: number): DslState<S>;
  readonly invariants: readonly Extract<Property<DslState<S>, number>, { kind: 'invariant' }>[];
  /** The transition properties, in the model's order (no sleeping under a spinlock, assertions). */
  readonly transitions: readonly Extract<Property<DslState<S>, number>, { kind: 'transition' }>[];
  /** The thread taking `action`. */
  processOf(action: number): number;
  /** The liveness properties' state predicates, in the search's order (livenessPredicates). */
  readonly predicates: readonly ((s: DslState<S>) => boolean)[];
  explainDeadlock(s: DslState<S>): string;
  /** Thread groups of at least two threads (symmetry). */
  readonly groups: readonly (readonly number[])[];
  /** Partial-order reduction's tables (thread-independence.ts). */
  readonly independence: ThreadIndependence<DslState<S>>;
  /** During a reduced search: thread `tid`'s next step on `s` checked against its footprint (else nothing). */
  checkFootprint(s: DslState<S>, tid: number): void;
  readonly symmetryRefusal: string | null;
}
