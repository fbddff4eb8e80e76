// What the level-synchronous search takes beyond SearchOptions (threads, a pool to reuse,
// when to start its own, per-level timings, the liveness plan, the engine's fallback), what
// it says of each level, and what it returns when the vector engine must give way.
import type { Piscina } from 'piscina';
import type { SearchOptions } from '../explore/search-options.ts';
import type { LivenessPlan } from '../explore/liveness/plan.ts';

/** Options of the level-synchronous search. */
export interface ParallelOptions extends SearchOptions {
  /** Search threads, the calling thread included (default: the number of cores). */
  readonly workers?: number;
  /**
   * A pool made by `createWorkerPool(workers)` to reuse across searches (tests run many
   * small searches); it is left open. Default: a pool for this search, started only once
   * the search is big enough to use it (until its threads are ready, this thread expands
   * every level alone).
   */
  readonly pool?: Piscina;
  /**
   * Levels smaller than this are expanded by the calling thread alone (default 2048: below
   * that, handing ranges to threads costs more than it saves). Tests set 1 to send every
   * level through the threads.
   */
  readonly minSharedLevel?: number;
  /**
   * When the search's own pool starts: once the search has run `afterMs` on a level of at
   * least `level` states expected to take `levelMs` on this thread alone (default
   * START_POOL_MS, START_POOL_LEVEL and START_POOL_LEVEL_MS in search-pool.ts); which levels
   * its threads may join part-way before they are ready: those expected to take `joinMs` on
   * this thread (default JOINABLE_MS); and which levels are shared at all: those expected to
   * take `shareMs` alone (default SHARE_LEVEL_MS; 0 when `startPool` is given and levelMs or
   * shareMs is not). Tests start it at once and let them join every level.
   */
  readonly startPool?: { readonly afterMs: number; readonly level: number; readonly joinMs: number; readonly levelMs?: number; readonly shareMs?: number };
  /**
   * The room a shared level's claims are sized for: at least `least` new states, and `factor`
   * times the last level's new states per state (default 4096 and 1.5). A level with more
   * new states is taken back and redone with twice the room; tests shrink the room to send
   * levels through that.
   */
  readonly claimsRoom?: { readonly least: number; readonly factor: number };
  /**
   * Whether the main thread checks the behaviour of a sample of the states worker threads
   * expand (model-identity.ts; default true). Off only to measure what the check costs
   * (bench/worker-check.ts): a worker's model is then checked only at its start.
   */
  readonly checkWorkerSample?: boolean;
  /**
   * Whether the pool starts with the search and a level big enough to share waits (up to a
   * minute) for its threads to be ready instead of running alone while they load (default
   * false; MMCHECK_WAIT_FOR_POOL=1 in
   * the CLI). Tests set it so that a loaded machine still sends their levels through the
   * threads; a search never needs it for its answer, which is the same either way.
   */
  readonly waitForPool?: boolean;
  /** Called after each level with its timings (for benchmarks; MMCHECK_TRACE_LEVELS=1 prints them). */
  readonly onLevel?: (level: LevelTiming) => void;
  /** Called once the search's own pool has started and its threads have loaded the model (ms since the search began). */
  readonly onPoolReady?: (times: { readonly startedMs: number; readonly readyMs: number }) => void;
  /** Liveness properties to check on the state graph (explore/liveness/plan.ts); none without it. */
  readonly livenessPlan?: LivenessPlan;
  /**
   * Vector engine: give it up (`needs-immutable`, `slow`) when its memo misses too often to
   * pay (explore/memo-payoff.ts). Set for `--engine auto`; default false.
   */
  readonly fallBackWhenSlow?: boolean;
}

/** How one BFS level went (ParallelOptions.onLevel). */
export interface LevelTiming {
  /** The level's depth and number of states. */
  readonly depth: number;
  readonly states: number;
  /** Threads that expanded it (1: this thread alone). */
  readonly threads: number;
  /** Several threads: successors inserted at once with claims (level-claims.ts). */
  readonly claims: boolean;
  /** Times the level was expanded: more than 1 when its claims ran out of room and it was redone. */
  readonly attempts: number;
  /** Wall time growing the seen set before the level, expanding it, and settling it (insert or validate phase, figures, violations). */
  readonly growMs: number;
  readonly expandMs: number;
  readonly settleMs: number;
  /** Time this thread spent checking the workers' sample of the level's states (model-identity.ts). */
  readonly checkMs: number;
  /** Per thread: time spent expanding ranges, and the states it expanded. */
  readonly busyMs: readonly number[];
  readonly expanded: readonly number[];
  /** Successors kept as candidates, and the level's new states. */
  readonly candidates: number;
  readonly newStates: number;
}

/** What a search that met a state without a fixed layout returns: the caller reruns it on Immutable values. */
export interface NeedsImmutable {
  readonly status: 'needs-immutable';
  readonly reason: string;
  /** The vector engine ran but did not pay (ParallelOptions.fallBackWhenSlow): `reason` says why. */
  readonly slow?: boolean;
}
