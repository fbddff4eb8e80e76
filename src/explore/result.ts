// Results are values, not exceptions (STYLE.md rule 5): a discriminated union the CLI maps to
// exit codes and the programmatic API returns as is.
import type { Change, Fairness, StepInfo } from '../model/model.ts';
import type { MemoStats } from '../model/vector.ts';
import type { StorageStats } from '../search/storage-choice.ts';
import type { CheckpointStats } from '../search/checkpoint-choice.ts';

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
  /** A cluster run (src/cluster/): its nodes, and the bytes they sent each other over NATS. */
  readonly cluster?: { readonly nodes: readonly string[]; readonly bytesSent: number };
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
  /** Liveness checking, when it ran: the state graph it kept and the time its check took. */
  readonly liveness?: LivenessStats;
  /** The seen set past memory (--storage disk | bitstate): what it held, and for bitstate the chance a state was missed. */
  readonly storage?: StorageStats;
  /** Checkpoints (--checkpoint, --resume): where, the last one written, the one resumed from. */
  readonly checkpoint?: CheckpointStats;
}

/** What checking liveness cost (src/explore/liveness/). */
export interface LivenessStats {
  /** Bytes of the recorded state graph (rows, labels, keys, key table) per state, at its peak. */
  readonly graphBytesPerState: number;
  /** Transitions recorded (equal to the search's). */
  readonly edges: number;
  /** Time of the fair-cycle search after the state search, and of building its counterexamples. */
  readonly checkMs: number;
  /** The fairness each process was checked under, e.g. "weak for every thread". */
  readonly fairness: string;
}

/** A property the run did not check, and why (e.g. liveness under --por). */
export interface Unchecked {
  readonly property: string;
  readonly reason: string;
  /**
   * True when the run was asked not to check it (`--no-liveness`): a run that checked every
   * other property holds. Otherwise a run that would hold is 'incomplete' (limit 'unchecked').
   */
  readonly optedOut?: boolean;
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
  /**
   * A lasso (a liveness counterexample): the steps after the first `loopStart` form a loop
   * that repeats forever — the state after the last step is the state after step
   * `loopStart` (the initial state when 0). Equal to `steps.length` when the last state has
   * no successor and repeats forever (stutters).
   */
  readonly loopStart?: number;
}

/** A property that failed, with the shortest schedule that breaks it. */
export interface Violation {
  readonly property: string;
  readonly kind: 'invariant' | 'transition' | 'deadlock' | 'liveness';
  /** The property's own explanation, with the values that broke it. */
  readonly message: string;
  readonly trace: Trace;
  /** A liveness violation: the fairness each process (thread) was checked under; the trace's loop is fair under it. */
  readonly fairness?: Readonly<Record<string, Fairness>>;
}

/**
 * Which limit ended an incomplete run; 'unchecked': the search was complete but left
 * properties unchecked that the run did not opt out of (liveness under --por, --symmetry or
 * --coverage), so "holds" would claim more than was checked.
 */
export type Limit = 'max-states' | 'max-depth' | 'time-limit' | 'memory' | 'interrupted' | 'unchecked' | 'node-lost';

export type CheckResult =
  | { readonly status: 'holds'; readonly model: string; readonly stats: CheckStats; readonly properties: readonly string[]; readonly unchecked?: readonly Unchecked[] }
  | {
      readonly status: 'violated';
      readonly model: string;
      readonly stats: CheckStats;
      readonly properties: readonly string[];
      /** Properties not checked, and why. */
      readonly unchecked?: readonly Unchecked[];
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
      readonly unchecked?: readonly Unchecked[];
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
 * `r` with `unchecked` properties taken out of its checked ones and listed with their reasons
 * (a property already listed keeps its first reason; a run that stopped with an error is
 * left as it is). A run that would hold but left a property unchecked without opting out
 * (Unchecked.optedOut) is incomplete, with limit 'unchecked' and a reason naming each such
 * property and why; a violation found stands.
 */
export function withUnchecked(r: CheckResult, unchecked: readonly Unchecked[]): CheckResult {
  if (r.status === 'error') return r;
  const known = new Set((r.unchecked ?? []).map((u) => u.property));
  const more = unchecked.filter((u) => !known.has(u.property));
  if (more.length === 0) return r;
  const names = new Set(more.map((u) => u.property));
  const all = [...(r.unchecked ?? []), ...more];
  const properties = r.properties.filter((p) => !names.has(p));
  const missed = all.filter((u) => u.optedOut !== true);
  if (r.status === 'holds' && missed.length > 0) {
    return { status: 'incomplete', model: r.model, stats: r.stats, properties, unchecked: all, limit: 'unchecked', reason: uncheckedReason(missed), violations: [] };
  }
  return { ...r, properties, unchecked: all };
}

/** "not checked: 'progress': why" for the properties a run left unchecked, grouped by why. */
export function uncheckedReason(missed: readonly Unchecked[]): string {
  const whys = [...new Set(missed.map((u) => u.reason))];
  return `not checked: ${whys.map((why) => `${missed.filter((u) => u.reason === why).map((u) => `'${u.property}'`).join(', ')} (${why})`).join('; ')}`;
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
