// The messages between the parallel search's coordinator and its worker threads: tasks,
// results, and the shared-memory blocks (frontier segments, candidate blocks) they name.
// Everything here crosses threads by structured clone; SharedArrayBuffers are shared, not copied.
import type { ReductionChoice } from '../reduce/reduction.ts';

/** Where a worker finds the model: a module file (default export: a ModelDefinition) and parameters. */
export interface ModelSource {
  readonly file: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Reductions, built in each thread from the model (their closures do not cross threads). */
  readonly reduction?: ReductionChoice;
}

/**
 * States found by one expand task, in the order it generated them (frontier position, then
 * action index). After the merge phase `flags[j]` is 1 for the candidates that are new
 * states of the search (the first occurrence in that order across all tasks).
 */
export interface CandidateBlock {
  readonly count: number;
  /** Uint32 pairs [high, low] per candidate. */
  readonly fps: SharedArrayBuffer;
  /** Uint32: global index of the parent state. */
  readonly parents: SharedArrayBuffer;
  /** Uint16: index of the action among the parent's enabled actions. */
  readonly actions: SharedArrayBuffer;
  /** Uint32, count + 1 entries: where each encoded state starts in `bytes`. */
  readonly offsets: SharedArrayBuffer;
  readonly bytes: SharedArrayBuffer;
  /** Uint8: 1 when the candidate won the merge (is a new state). */
  readonly flags: SharedArrayBuffer;
}

/** A property violation seen by a worker; the coordinator decides, in canonical order, which count. */
export interface WorkerEvent {
  readonly property: string;
  readonly kind: 'invariant' | 'transition' | 'deadlock';
  readonly message: string;
  /** Position in the level of the state expanded. */
  readonly pos: number;
  /** Action index taken from it (-1 for a deadlock). */
  readonly action: number;
  /** For an invariant: the candidate (index in the task's block) that broke it. */
  readonly candidate: number;
  /** Fingerprint of the state the property failed on (for a transition: of its source). */
  readonly hi: number;
  readonly lo: number;
}

/** Expand part of a level: positions [from, to) of the frontier. */
export interface ExpandTask {
  readonly kind: 'expand';
  readonly source: ModelSource;
  /** Record types other threads met (see StateCodec). */
  readonly descriptors: readonly string[];
  readonly table: SharedArrayBuffer;
  /** The level: candidate blocks of the previous level (only flagged candidates are members). */
  readonly segments: readonly CandidateBlock[];
  readonly from: number;
  readonly to: number;
  /** Global index of the level's first state. */
  readonly levelStart: number;
  /** Names this level of this search (a thread keeps its candidates' set across its ranges of one level). */
  readonly levelId: string;
  /** False at the depth bound: only look for deadlocks and count enabled actions. */
  readonly expand: boolean;
  /** Properties already violated (not checked again). */
  readonly skip: readonly string[];
  /** Int32 control words: [0] stop request. */
  readonly control: SharedArrayBuffer;
}

export interface ExpandResult {
  readonly block: CandidateBlock;
  /** Enabled actions per position of [from, to). */
  readonly actionCounts: Uint32Array;
  readonly transitions: number;
  readonly events: readonly WorkerEvent[];
  readonly descriptors: readonly string[];
  /** Set when the stop request was seen before the range was done. */
  readonly stopped: boolean;
  readonly error?: { readonly pos: number; readonly action: number; readonly message: string; readonly stack?: string };
}

/** Insert the candidates whose fingerprint falls in partition `part` of `parts`, in block order. */
export interface MergeTask {
  readonly kind: 'merge';
  readonly table: SharedArrayBuffer;
  readonly part: number;
  readonly parts: number;
  readonly blocks: readonly CandidateBlock[];
}

export interface MergeResult {
  /** New states per block. */
  readonly inserted: readonly number[];
}

/** Import and build the model now (sent when the pool starts, so the first level does not wait for it). */
export interface WarmTask {
  readonly kind: 'warm';
  readonly source: ModelSource;
}

export type Task = ExpandTask | MergeTask | WarmTask;

/** Worker-side index of the stop request in `control`. */
export const CONTROL_STOP = 0;

/** Merge partition of a fingerprint. */
export function partitionOf(hi: number, parts: number): number {
  return (hi >>> 0) % parts;
}
