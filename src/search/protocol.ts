// The messages between the level-synchronous search's coordinator and the threads that
// expand and merge a level (piscina workers and the calling thread itself), and the
// shared-memory blocks (frontier segments, candidate blocks) they name. Everything here
// crosses threads by structured clone; SharedArrayBuffers are shared, not copied.
import type { ReductionChoice } from '../reduce/reduction.ts';
import type { MemoStats } from '../model/vector.ts';
import type { ClaimsRef } from './level-claims.ts';
import type { GrowableRef, TableRef } from './shared-seen-set.ts';
import type { RangeGraph } from '../explore/liveness/range-graph.ts';

/** How states are represented: fixed-width vectors (src/model/vector.ts) or Immutable values. */
export type Engine = 'vector' | 'immutable';

/** Where a worker finds the model: a module file (default export: a ModelDefinition) and parameters. */
export interface ModelSource {
  readonly file: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Reductions, built in each thread from the model (their closures do not cross threads). */
  readonly reduction?: ReductionChoice;
  /** The state representation of the search (default 'immutable'). */
  readonly engine?: Engine;
  /** Vector engine: the slots invariants were seen to read, shared by the search's threads (VectorModel.shareInvariantReads). */
  readonly invariantReads?: SharedArrayBuffer;
  /** What the model is at its start in the main thread: a worker's must be the same (model-identity.ts). */
  readonly identity?: ModelIdentity;
}

/** What a model is at its start, as one thread built it (model-identity.ts `modelIdentity`). */
export interface ModelIdentity {
  /** A hash of every line. */
  readonly digest: string;
  /** The first lines, to say what differs. */
  readonly lines: readonly string[];
}

/**
 * States found by one range of a level, in the order they were generated (frontier
 * position, then action index). After the merge phase `flags[j]` is 1 for the candidates
 * that are new states of the search (the first occurrence in that order across all ranges);
 * a range expanded alone ("direct": inserting into the seen set as it goes) holds only new
 * states, all flagged. The arrays are views into one SharedArrayBuffer (`data`), which the
 * thread that made the block reuses two levels later, when no thread reads it any more.
 */
export interface CandidateBlock {
  readonly count: number;
  /** Flagged candidates (known after the merge). */
  readonly winners: number;
  readonly data: SharedArrayBuffer;
  /** Pairs [high, low] per candidate: its seen-set key. */
  readonly fps: Uint32Array;
  /** Global index of the parent state. */
  readonly parents: Uint32Array;
  /** Index of the action among the parent's enabled actions. */
  readonly actions: Uint16Array;
  /** count + 1 entries: where each encoded state starts in `bytes`. */
  readonly offsets: Uint32Array;
  readonly bytes: Uint8Array;
  /** 1 when the candidate won the merge (is a new state). */
  readonly flags: Uint8Array;
  /** Per seen-set partition: the indices of the candidates whose key falls in it, in order (none in a level expanded with claims). */
  readonly parts: readonly Uint32Array[];
  /** A level expanded with claims: each candidate's claim entry (level-claims.ts); else empty. */
  readonly entries: Uint32Array;
}

/** A property violation seen while expanding; the coordinator decides, in canonical order, which count. */
export interface WorkerEvent {
  readonly property: string;
  readonly kind: 'invariant' | 'transition' | 'deadlock';
  readonly message: string;
  /** Position in the level of the state expanded. */
  readonly pos: number;
  /** Action index taken from it (-1 for a deadlock). */
  readonly action: number;
  /** For an invariant: the candidate (index in the range's block) that broke it. */
  readonly candidate: number;
  /** For an invariant found while inserting: the range whose block holds the candidate. */
  readonly range?: number;
  /** Key of the state the property failed on (for a transition: of its source). */
  readonly hi: number;
  readonly lo: number;
}

/** The outcome of expanding one range [from, to) of a level. */
export interface RangeResult {
  readonly range: number;
  readonly block: CandidateBlock;
  /** Transitions taken per position of the range (enabled actions, or the persistent subset). */
  readonly actionCounts: Uint32Array;
  readonly transitions: number;
  readonly events: readonly WorkerEvent[];
  /** Partial-order reduction: the positions where a subset of the enabled actions was taken, with that subset (action indices, ascending). */
  readonly subsets?: ReadonlyMap<number, readonly number[]>;
  /**
   * A worker's sample of the states it expanded (model-identity.ts isSampled): [position,
   * digest lane a, digest lane b] per state, which the main thread computes again.
   */
  readonly samples?: Int32Array;
  /** Set when the stop request was seen before the range was done. */
  readonly stopped: boolean;
  /** A level expanded alone: the transition that found one new state more than --max-states allows (the range ends there). */
  readonly cut?: { readonly pos: number; readonly action: number };
  readonly error?: { readonly pos: number; readonly message: string; readonly stack?: string };
  /** The vector engine met a state with no fixed layout: the search must run on Immutable values. */
  readonly notVectorizable?: string;
  /** Liveness checking: the range's part of the state graph (ExpandTask.graph). */
  readonly graph?: RangeGraph;
}

/** A level of the search as the threads read it. */
export interface LevelRef {
  /** Candidate blocks of the previous level (only flagged candidates are members). */
  readonly segments: readonly CandidateBlock[];
  /** Members before each segment (prefix sums of `winners`). */
  readonly before: readonly number[];
  /** Global index of the level's first state. */
  readonly start: number;
  readonly size: number;
  /** The level is cut into ranges of consecutive positions: range r is [starts[r], starts[r + 1]) (levelRanges; `size` last). */
  readonly starts: Int32Array;
}

/** Range r of a level: positions [from, to). */
export function rangeBounds(level: LevelRef, r: number): { from: number; to: number } {
  return { from: level.starts[r], to: level.starts[r + 1] };
}

/**
 * Cuts a level of `size` states into ranges for `threads` threads (the starts of each, and
 * `size` last). One thread: equal ranges of at most `most` states. Several: guided
 * self-scheduling, as OpenMP's `schedule(guided)` — each range is 1/(GUIDE × threads) of the
 * states left, within [least, most]. Most of a level goes in long ranges, which are
 * cheaper a state (a range's states share encoded collections, codec.ts), and the last ranges
 * are short, so the threads end the level together. Only the cut depends on the thread count,
 * never the search's answer: the level's states are read, and its successors ordered, by
 * position.
 */
export function levelRanges(size: number, threads: number, least: number, most: number): Int32Array {
  if (threads === 1) {
    const n = Math.max(1, Math.ceil(size / most));
    const starts = new Int32Array(n + 1);
    for (let r = 0; r <= n; r++) starts[r] = Math.floor((size * r) / n);
    return starts;
  }
  const starts: number[] = [0];
  let pos = 0;
  while (pos < size) {
    const left = size - pos;
    let take = Math.min(most, Math.max(least, Math.floor(left / (GUIDE * threads))));
    // No sliver at the end: a last piece under half a short range joins this one.
    if (left - take < least / 2) take = left;
    pos += take;
    starts.push(pos);
  }
  return Int32Array.from(starts);
}

/** Guided scheduling: a range is at most 1/(GUIDE × threads) of the states left. */
const GUIDE = 2;

/** Expand a level: take ranges from the shared counter until none is left. */
export interface ExpandTask {
  readonly kind: 'expand';
  readonly source: ModelSource;
  /** Names the search (a thread builds the model afresh for each search). */
  readonly search: string;
  /** Record types (immutable engine) and hashed strings (vector engine) other threads met. */
  readonly descriptors: readonly string[];
  readonly strings: readonly string[];
  /** The seen set's partitions (read-only while a level is expanded). */
  readonly tables: readonly TableRef[];
  readonly level: LevelRef;
  /** The expansion's index (a thread reuses the blocks it made two expansions before). */
  readonly expansion: number;
  /** Int32 [0]: the next range to take. */
  readonly counter: SharedArrayBuffer;
  /** Names this level of this search (a thread keeps its candidates' set across its ranges of one level). */
  readonly levelId: string;
  /** False at the depth bound: only look for deadlocks and count enabled actions. */
  readonly expand: boolean;
  /** Properties already violated (not checked again). */
  readonly skip: readonly string[];
  /** Int32 control words: [CONTROL_STOP] stop request. */
  readonly control: SharedArrayBuffer;
  /** Several threads: insert at once, keeping the smallest claims (level-claims.ts). */
  readonly claims?: ClaimsRef;
  /** A level shared before the pool's threads are known to be ready: see `Joinable`. */
  readonly join?: SharedArrayBuffer;
  /** Worker threads report the behaviour of a sample of their states, which the main thread checks (model-identity.ts). */
  readonly sample: boolean;
  /** Liveness checking: record each range's part of the state graph (RangeResult.graph). */
  readonly graph?: boolean;
}

export interface ExpandResult {
  /** The task began after the calling thread had closed the level (`Joinable`): it did nothing. */
  readonly late?: boolean;
  readonly ranges: readonly RangeResult[];
  readonly descriptors: readonly string[];
  readonly strings: readonly string[];
  /** The thread that ran the phase, and its memo figures so far (vector engine). */
  readonly thread: number;
  readonly memo?: MemoStats;
  /** With claims: new states this thread inserted, per seen-set partition; and whether the level overflowed its claims. */
  readonly inserted?: readonly number[];
  readonly overflow?: boolean;
  /** A (position, action) too large for a claim: redo the level without claims. */
  readonly wide?: boolean;
  /** Time this thread spent expanding ranges in this phase. */
  readonly busyMs?: number;
  /** The thread's JS heap as resident memory (for the memory budget's account). */
  readonly heapBytes?: number;
}

/**
 * After a level expanded with claims: flag, in the blocks taken from the counter, the copies
 * that hold their state's final claim, and put their keys back into the seen set in place of
 * their claim entries.
 */
export interface ValidateTask {
  readonly kind: 'validate';
  readonly claims: ClaimsRef;
  readonly tables: readonly TableRef[];
  readonly blocks: readonly CandidateBlock[];
  readonly levelStart: number;
  /** Int32 [0]: the next block to take. */
  readonly counter: SharedArrayBuffer;
  /** A phase shared before the pool's threads are known to be ready: see `Joinable`. */
  readonly join?: SharedArrayBuffer;
}

export interface ValidateResult {
  /** The task began after the calling thread had closed the phase (`Joinable`): it did nothing. */
  readonly late?: boolean;
  /** [block index, winners] pairs. */
  readonly winners: readonly (readonly [number, number])[];
}

/**
 * Insert the candidates of partition `part` into its seen set, visiting the level's blocks
 * in order (the first occurrence wins), growing it within `maxBytes`; with `invariants`,
 * check them on each new state (the vector engine, whose expansion keeps every successor).
 */
export interface InsertTask {
  readonly kind: 'insert';
  readonly source: ModelSource;
  readonly search: string;
  readonly part: number;
  readonly table: GrowableRef;
  readonly maxBytes: number;
  readonly blocks: readonly CandidateBlock[];
  readonly invariants: boolean;
  readonly skip: readonly string[];
  readonly strings: readonly string[];
  /** Global index of the expanded level's first state (events give positions in it). */
  readonly levelStart: number;
}

export interface InsertResult {
  /** New states per block. */
  readonly inserted: readonly number[];
  readonly table: GrowableRef;
  readonly events: readonly WorkerEvent[];
  /** The partition would have outgrown `maxBytes` (nothing of this level was inserted past that point). */
  readonly overBudget?: boolean;
  readonly error?: { readonly message: string; readonly stack?: string };
}

/** Grow a seen-set partition to `capacity` slots (between the phases of a level). */
export interface GrowTask {
  readonly kind: 'grow';
  readonly table: GrowableRef;
  readonly capacity: number;
}

/** Import and build the model now (sent when the pool starts, so the first level does not wait for it). */
export interface WarmTask {
  readonly kind: 'warm';
  readonly source: ModelSource;
  readonly search: string;
  /**
   * Int32 [stop, ready]: a worker adds 1 to `ready` once loaded and warmed for WARM_UP_MS,
   * then goes on warming (while its core would idle) until `stop` is set — by the search,
   * before the first level it shares — or `holdMs` more have passed.
   */
  readonly control: SharedArrayBuffer;
  readonly holdMs: number;
}

/** Words of a WarmTask's control. */
export const WARM_STOP = 0;
export const WARM_READY = 1;

export type Task = ExpandTask | InsertTask | ValidateTask | GrowTask | WarmTask;

/**
 * A phase the pool's threads may join part-way: a level shared while they may still be
 * loading the model or warming up. The phase's work is taken from a counter, so a thread that
 * joins late takes what is left. Int32 [0] of `join` counts the threads that joined; the
 * calling thread, once it has taken the last of the work itself, closes the phase
 * (JOIN_CLOSED) and waits only for the threads that joined. A task that starts after that
 * returns `late` at once, touching nothing of the level (its memory may be reused by then).
 */
export const JOIN_CLOSED = 1 << 30;

/** A worker's entry into a joinable phase: false when the phase is closed (do nothing). */
export function tryJoin(join: SharedArrayBuffer | undefined): boolean {
  if (join === undefined) return true;
  const word = new Int32Array(join);
  for (;;) {
    const v = Atomics.load(word, 0);
    if ((v & JOIN_CLOSED) !== 0) return false;
    if (Atomics.compareExchange(word, 0, v, v + 1) === v) return true;
  }
}

/** Closes a joinable phase (no thread may join after this); the number of threads that joined. */
export function closeJoin(join: SharedArrayBuffer): number {
  const word = new Int32Array(join);
  for (;;) {
    const v = Atomics.load(word, 0);
    if (Atomics.compareExchange(word, 0, v, v | JOIN_CLOSED) === v) return v & ~JOIN_CLOSED;
  }
}

/** Index of the stop request in the control words. */
export const CONTROL_STOP = 0;
