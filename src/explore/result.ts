// Results are values, not exceptions (STYLE.md rule 5): a discriminated union the CLI maps to
// exit codes and the programmatic API returns as is.
import type { Change, StepInfo } from '../model/model.ts';
import type { MemoStats } from '../model/vector.ts';

/** Figures of a run, reported with every verdict (SPIN/TLC style). */
export interface CheckStats {
  /** Distinct states stored in the seen set. */
  readonly distinctStates: number;
  /** Transitions taken (successor states generated, new or not). */
  readonly transitions: number;
  /** Greatest number of steps from an initial state to a state explored. */
  readonly depth: number;
  readonly elapsedMs: number;
  /** Distinct states per second. */
  readonly statesPerSecond: number;
  /** Peak resident set size of the process, in bytes. */
  readonly peakMemoryBytes: number;
  /** Bytes of the seen set per stored state. */
  readonly seenSetBytesPerState: number;
  /** Largest BFS level (frontier) held at once. */
  readonly peakFrontier: number;
  /** Probability that two distinct states shared a fingerprint (see collisionProbability). */
  readonly collisionProbability: number;
  /** Bits of the seen set's keys (64; 62 in the level-synchronous search, whose slots keep two low bits for claims). */
  readonly fingerprintBits?: number;
  /** Worker threads used. */
  readonly workers: number;
  /** Bytes per state of the largest BFS level held (encoded states and their bookkeeping). */
  readonly frontierBytesPerState?: number;
  /** How states were represented: fixed-width vectors with memoised steps, or Immutable values. */
  readonly engine?: 'vector' | 'immutable';
  /** Why the search ran on Immutable values although the vector engine was asked for (or was the default). */
  readonly engineNote?: string;
  /** What partial-order reduction inferred, or why it could not reduce (src/reduce). */
  readonly reductionNote?: string;
  /**
   * Vector engine: strings the states held that had no small code (in no initial state, no
   * Record default, not in the model's `strings`): each took a hashed code, five bytes a
   * slot in a frontier state and the slow paths of the memo tries and fingerprints.
   */
  readonly hashedStrings?: readonly string[];
  /** Vector engine: how often model code ran (misses) against answers from the memo tries (hits). */
  readonly memo?: MemoStats;
}

/** One step of a counterexample, ready to print. */
export interface TraceStep extends StepInfo {
  /** 1-based step number. */
  readonly index: number;
  /** `formatAction` of the step. */
  readonly action: string;
  /** Index of the action in the enabled actions of the state before it (for replay). */
  readonly actionIndex: number;
  /** Variables this step changed. */
  readonly changes: readonly Change[];
  /** The state after this step (an Immutable value). */
  readonly state: unknown;
  /** True when this step preempts the previous actor, which could have continued (needs Model.actorOf). */
  readonly preempts?: boolean;
}

/** A counterexample: the initial state and the steps from it. */
export interface Trace {
  /** Index of the initial state among `model.initStates()`. */
  readonly initIndex: number;
  readonly initial: unknown;
  readonly steps: readonly TraceStep[];
  /** Switches away from an actor that could have continued (when the model has actorOf). */
  readonly preemptions?: number;
}

/** A property that failed, with the shortest schedule that breaks it. */
export interface Violation {
  readonly property: string;
  readonly kind: 'invariant' | 'transition' | 'deadlock';
  /** The property's own explanation, with the values that broke it. */
  readonly message: string;
  readonly trace: Trace;
}

/** Which limit ended an incomplete run. */
export type Limit = 'max-states' | 'max-depth' | 'time-limit' | 'memory' | 'interrupted';

export type CheckResult =
  | { readonly status: 'holds'; readonly model: string; readonly stats: CheckStats; readonly properties: readonly string[] }
  | {
      readonly status: 'violated';
      readonly model: string;
      readonly stats: CheckStats;
      readonly properties: readonly string[];
      /** The first violation found (shortest). */
      readonly violation: Violation;
      /** Every property violated (one, unless `allProperties`). */
      readonly violations: readonly Violation[];
      /** True when the search stopped at the first violation, so other properties are unchecked. */
      readonly stoppedEarly: boolean;
    }
  | {
      readonly status: 'incomplete';
      readonly model: string;
      readonly stats: CheckStats;
      readonly properties: readonly string[];
      readonly limit: Limit;
      readonly reason: string;
      readonly violations: readonly Violation[];
    }
  | {
      readonly status: 'error';
      readonly model: string;
      readonly stats: CheckStats;
      readonly error: { readonly message: string; readonly stack?: string };
    };

/** The figures of a search that stopped before it began (an error), on `workers` threads. */
export function emptyStats(workers: number, engine?: CheckStats['engine'], peakMemoryBytes = 0): CheckStats {
  return { distinctStates: 0, transitions: 0, depth: 0, elapsedMs: 0, statesPerSecond: 0, peakMemoryBytes, seenSetBytesPerState: 0, peakFrontier: 0, collisionProbability: 0, workers, ...(engine !== undefined ? { engine } : {}) };
}

/**
 * Probability that at least two of `n` distinct states share a `bits`-bit fingerprint,
 * assuming uniformly distributed fingerprints (the birthday bound, 1 − e^(−n(n−1)/2^(bits+1)));
 * TLC prints the same kind of estimate. Computed with expm1 so small values keep their
 * precision.
 */
export function collisionProbability(n: number, bits = 64): number {
  return -Math.expm1(-(n * (n - 1)) / 2 ** (bits + 1));
}

/**
 * The verdict of a finished search, shared by the sequential and the parallel engine:
 * violations shortest first (ties in discovery order, a stable sort); 'violated' unless a
 * limit cut an --all-properties search short, which is 'incomplete' with what was found.
 */
export function finalResult(
  model: string,
  stats: CheckStats,
  properties: readonly string[],
  violations: Violation[],
  limit: Limit | undefined,
  limitReason: string,
  allProperties: boolean,
): CheckResult {
  violations.sort((a, b) => a.trace.steps.length - b.trace.steps.length);
  const chosen = allProperties ? violations : violations.slice(0, 1);
  if (chosen.length > 0 && (limit === undefined || !allProperties)) {
    return { status: 'violated', model, stats, properties, violation: chosen[0], violations: chosen, stoppedEarly: !allProperties || limit !== undefined };
  }
  if (limit !== undefined) return { status: 'incomplete', model, stats, properties, limit, reason: limitReason, violations: chosen };
  return { status: 'holds', model, stats, properties };
}
