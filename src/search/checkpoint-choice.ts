// What a search is asked about checkpoints (--checkpoint, --checkpoint-every, --resume) and
// what it reports of them: the options and figures only (search-checkpoint.ts does the work).

/** Default seconds between two checkpoints (TLC's default is 30 minutes; levels are shorter here). */
export const DEFAULT_CHECKPOINT_EVERY_S = 300;

/**
 * Checkpoints of a search (SearchOptions.checkpoint): written into `dir` at the end of a
 * level once `everyMs` have passed since the last (and at the end of the level where a stop
 * request — Ctrl-C, --time-limit, --memory — was seen); with `resume`, the search first goes
 * on from the checkpoint in `resumeDir` instead of its initial states.
 *
 * @example
 *   await check(kvm, { modelFile, checkpoint: { dir: '/tmp/ck', everyMs: 60_000 } });
 *   await check(kvm, { modelFile, checkpoint: { dir: '/tmp/ck', everyMs: 60_000, resumeDir: '/tmp/ck' } });
 */
export interface CheckpointChoice {
  readonly dir: string;
  readonly everyMs: number;
  /** Go on from the checkpoint in this directory. */
  readonly resumeDir?: string;
  /**
   * A test hook: at the end of the level that reaches this depth, write a checkpoint and stop
   * as Ctrl-C would (the CLI reads it from MMCHECK_CHECKPOINT_STOP_AT): a stop at a known
   * level boundary, whatever the machine's speed.
   */
  readonly stopAtDepth?: number;
}

/** What a search's checkpoints were (CheckStats.checkpoint). */
export interface CheckpointStats {
  readonly dir: string;
  /** Checkpoints written by this run. */
  readonly writes: number;
  /** The last one written (or resumed from, when none was written since): its depth, states and bytes. */
  readonly last?: { readonly depth: number; readonly states: number; readonly bytes: number; readonly writeMs: number };
  /** The checkpoint this run went on from. */
  readonly resumedFrom?: { readonly dir: string; readonly depth: number; readonly states: number; readonly transitions: number };
}
