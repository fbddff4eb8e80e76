// The Model interface: the one small contract every search strategy drives (after Stateright).
//
// The thread DSL (dsl.ts) compiles to it; the search never sees the DSL. A model is pure and
// deterministic: `next` returns a new Immutable value, and `actions` lists the enabled
// actions of a state in a fixed order that never depends on hash iteration order, because a
// counterexample is stored as action indices and rebuilt by replaying them.
import type { Independence, Symmetry } from '../reduce/support.ts';
import type { NotVectorizable, VectorModel, VectorOptions } from './vector.ts';

/** A named property checked on every reachable state (or transition). */
export type Property<S, A = unknown> =
  | {
      readonly kind: 'invariant';
      readonly name: string;
      /** Returns null when the state is fine, or a message saying what broke and with which values. */
      readonly check: (state: S) => string | null;
    }
  | {
      readonly kind: 'transition';
      readonly name: string;
      /** Checked on every step taken; returns null or a message (e.g. "slept under ptl"). */
      readonly check: (state: S, action: A, next: S) => string | null;
    }
  | {
      readonly kind: 'deadlock';
      readonly name: string;
      /** A state without enabled actions is a deadlock unless it is an accepted end state. */
      readonly isEnd: (state: S) => boolean;
      /** Explains a deadlocked state (which threads wait for what). */
      readonly explain: (state: S) => string;
    }
  | LivenessProperty<S>;

/**
 * How fairly a process (a thread) is scheduled, for liveness: 'weak' — one that stays
 * enabled forever eventually moves; 'strong' — one enabled infinitely often moves infinitely
 * often; 'none' — it may be ignored forever.
 */
export type Fairness = 'weak' | 'strong' | 'none';

/** The fairness kinds, in the order the CLI lists them. */
export const FAIRNESS_KINDS: readonly Fairness[] = ['none', 'weak', 'strong'];

/**
 * One temporal formula over state predicates, read over every fair infinite behaviour (a
 * state without successors repeats forever):
 *  - 'eventually' (F p): some state of the behaviour satisfies p;
 *  - 'alwaysEventually' (GF p): p holds infinitely often;
 *  - 'leadsTo' (p ~> q): every state satisfying p is followed, then or later, by one
 *    satisfying q.
 */
export interface TemporalFormula<S> {
  readonly form: 'eventually' | 'alwaysEventually' | 'leadsTo';
  /** What the formula asks, in words (e.g. "fault0 finishes or rests at an end point"). */
  readonly what: string;
  readonly p: (state: S) => boolean;
  /** The target of 'leadsTo'. */
  readonly q?: (state: S) => boolean;
  /** Says what happens on a counterexample's loop (its states in order), e.g. where a starved thread waits. */
  readonly explainLoop?: (loop: readonly S[]) => string;
}

/** A property over infinite behaviours: every formula must hold on every fair behaviour. */
export interface LivenessProperty<S> {
  readonly kind: 'liveness';
  readonly name: string;
  readonly formulas: readonly TemporalFormula<S>[];
}

/**
 * The processes fairness speaks of (a thread-DSL model's threads): who takes each action,
 * and how fairly each is scheduled. A model without them is one process, which fairness
 * cannot constrain (some action is taken whenever one is enabled).
 */
export interface Processes<S, A> {
  readonly names: readonly string[];
  /** Per process (same order as `names`). */
  readonly fairness: readonly Fairness[];
  /** The index of the process taking `action` in `state`. */
  of(state: S, action: A): number;
}

/** What a trace shows about one step: for the DSL, thread, label, kernel function, locks. */
export interface StepInfo {
  /** Who acted (a thread name), if the model has threads. */
  readonly actor?: string;
  /** The step's label within its thread. */
  readonly label: string;
  /** The kernel function this step stands for, e.g. `try_to_unmap_one`. */
  readonly kernel?: string;
  /** Locks the actor holds after the step. */
  readonly locksHeld?: readonly string[];
  /** A free-text note (the step's comment). */
  readonly note?: string;
}

/** One changed variable between two states, with readable names. */
export interface Change {
  readonly path: string;
  readonly before: string;
  readonly after: string;
}

/**
 * A transition system with named properties.
 *
 * @typeParam S - the state: an Immutable value (validated by the engine)
 * @typeParam A - an action: a small primitive (a number for the DSL)
 */
export interface Model<S = unknown, A = unknown> {
  readonly name: string;
  /** Initial states, in a fixed order. */
  initStates(): readonly S[];
  /** The enabled actions of `state`, in a fixed order. */
  actions(state: S): readonly A[];
  /** The successor of `state` under `action` (must be deterministic). */
  next(state: S, action: A): S;
  readonly properties: readonly Property<S, A>[];
  /** A short one-line name for an action, e.g. `fault0: map`. */
  formatAction(state: S, action: A): string;
  /** Richer step information for traces. */
  describeStep?(state: S, action: A, next: S): StepInfo;
  /** The variables that changed between two states, named for a reader. */
  diff?(before: S, after: S): readonly Change[];
  /** A state as plain JSON (for JSON traces). */
  toJSON?(state: S): unknown;
  /**
   * Who takes `action` in `state` (a thread), so traces can count preemptions: a switch away
   * from the previous step's actor while that actor could have continued.
   */
  actorOf?(state: S, action: A): string | number;
  /** Every step label `formatAction` can produce, so coverage can list steps that never fired. */
  allActions?(): readonly string[];
  /** Which transitions commute, for partial-order reduction (--por). */
  readonly independence?: Independence<S, A>;
  /** The processes fairness speaks of, for liveness properties (the DSL's threads). */
  readonly processes?: Processes<S, A>;
  /** Interchangeable parts (thread groups), for symmetry reduction (--symmetry). */
  readonly symmetry?: Symmetry<S>;
  /**
   * The model over fixed-width vector states (src/model/vector.ts), which the vector engine
   * searches without running model code on every state; or why it has none. Thread-DSL
   * models offer it. Each call builds a fresh vector model (with its own memo tries).
   */
  vectorize?(options?: VectorOptions): VectorModel<S> | NotVectorizable;
  /**
   * The enabled actions in parts that each read only some of the state — TLA+'s disjuncts of
   * Next (TMCommit, RMPrepare(rm), …), a process's steps — so the vector engine memoises each
   * part on the fields it reads (src/model/plain-vector.ts) instead of `actions()` on the
   * whole state. `actions(state)` must be the parts' actions concatenated in part order;
   * the search checks this wherever a part's result is computed.
   */
  readonly actionParts?: ActionParts<S, A>;
  /**
   * Strings the states may hold that no initial state does: the vector engine gives them
   * small codes (one byte a slot) instead of hashed ones (docs/vector-engine.md).
   */
  readonly strings?: readonly string[];
}

/** `Model.actionParts`: `count` parts; part p's enabled actions in `state`. */
export interface ActionParts<S, A> {
  readonly count: number;
  actions(state: S, part: number): readonly A[];
}

/** A model's properties split by kind, as every search checks them. */
export interface PropertiesByKind<S, A> {
  readonly invariants: Extract<Property<S, A>, { kind: 'invariant' }>[];
  readonly transitions: Extract<Property<S, A>, { kind: 'transition' }>[];
  readonly deadlock: Extract<Property<S, A>, { kind: 'deadlock' }> | undefined;
  readonly liveness: LivenessProperty<S>[];
}

/** Splits `model.properties` by kind (invariants, transition properties, the deadlock check). */
export function propertiesByKind<S, A>(model: Model<S, A>): PropertiesByKind<S, A> {
  return {
    invariants: model.properties.filter((p): p is Extract<Property<S, A>, { kind: 'invariant' }> => p.kind === 'invariant'),
    transitions: model.properties.filter((p): p is Extract<Property<S, A>, { kind: 'transition' }> => p.kind === 'transition'),
    deadlock: model.properties.find((p): p is Extract<Property<S, A>, { kind: 'deadlock' }> => p.kind === 'deadlock'),
    liveness: model.properties.filter((p): p is LivenessProperty<S> => p.kind === 'liveness'),
  };
}

/**
 * The state predicates of liveness properties, in the order the search labels states with
 * them (bit j of a state's labels is predicate j): per property, per formula, `p` then `q`.
 */
export function livenessPredicates<S>(liveness: readonly LivenessProperty<S>[]): ((state: S) => boolean)[] {
  const out: ((state: S) => boolean)[] = [];
  for (const prop of liveness) {
    for (const f of prop.formulas) {
      out.push(f.p);
      if (f.q !== undefined) out.push(f.q);
    }
  }
  return out;
}
