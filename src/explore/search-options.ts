// What a search may be asked: its limits (states, depth, time, memory), switches (every
// property, liveness, fairness), reductions, and the hooks it calls (progress, each
// transition, a stop request); and the figures of a progress line.
import type { Fairness } from '../model/model.ts';
import type { SearchReduction } from '../reduce/search-hooks.ts';
import type { StopRequest } from './stop-request.ts';
import type { LiveSearch } from './live-search.ts';
import type { MemoryBudget } from './memory-budget.ts';
import type { StorageChoice } from '../search/storage-choice.ts';
import type { CheckpointChoice } from '../search/checkpoint-choice.ts';

/** Limits and switches of a search. */
export interface SearchOptions {
  /**
   * Store at most this many distinct states: the search stops (incomplete) at the transition
   * that finds one more, counting neither it nor anything after it. A model with no more
   * states than this is searched in full.
   */
  readonly maxStates?: number;
  /** Do not expand states at this depth (incomplete if any would have had successors). */
  readonly maxDepth?: number;
  /** Stop (incomplete) after this many milliseconds. */
  readonly timeLimitMs?: number;
  /** Memory budget of the run in bytes: this process's resident memory (default: 75% of the machine's; see memory-budget.ts). */
  readonly memoryBytes?: number;
  /** The budget itself, when it counts memory outside this process too (the CLI's supervisor); overrides memoryBytes. */
  readonly memory?: MemoryBudget;
  /**
   * Explore past violations (--all-properties, --continue): the whole state space, every
   * violated property reported at its shortest; without it the search stops at the level of
   * the first violation.
   */
  readonly allProperties?: boolean;
  /** Stops the search (incomplete, 'interrupted') when aborted. */
  readonly signal?: AbortSignal;
  /**
   * A stop request shared with other threads (a watchdog's), read before each state: the
   * search ends with its reason as the limit. Without it, a request of the search's own
   * takes `signal` and the time limit between states of this thread.
   */
  readonly stop?: StopRequest;
  /** Where the search shows its figures after each level and its partial result (the CLI's watchdog reads them). */
  readonly live?: LiveSearch;
  /** Called every `progressIntervalMs` with the figures so far. */
  readonly onProgress?: (p: Progress) => void;
  readonly progressIntervalMs?: number;
  /**
   * Called on every transition the search counts (for coverage: how often each step fired), in
   * BFS order, on this thread, with the state and the action taken: after each level, for the
   * transitions before the point where a bound or a violation stopped the search. Immutable
   * values only (the engine chosen for a search with this hook).
   */
  readonly onTransition?: (state: unknown, action: unknown) => void;
  /** Partial-order and/or symmetry reduction (src/reduce: `reductionFor`). */
  readonly reduction?: SearchReduction<any, any>;
  /** false: check safety only, leaving liveness properties unchecked (default true). */
  readonly liveness?: boolean;
  /** Every thread's fairness for liveness, in place of the model's own (default 'weak'). */
  readonly fairness?: Fairness;
  /** Where the seen states are kept (--storage): in memory (default), partly on disk, or partly as bits (storage-choice.ts). */
  readonly storage?: StorageChoice;
  /** Checkpoints at level boundaries, and the one to resume from (--checkpoint, --resume: checkpoint-choice.ts). */
  readonly checkpoint?: CheckpointChoice;
}

/** A progress line's figures. */
export interface Progress {
  readonly elapsedMs: number;
  readonly distinctStates: number;
  readonly transitions: number;
  readonly depth: number;
  readonly frontier: number;
  readonly statesPerSecond: number;
}

/** Peak resident set size of this process so far, in bytes. */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}
