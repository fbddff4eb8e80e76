// How a level is searched: on this thread alone or shared with the pool's threads (joined
// part-way by threads still warming up), inserting as it goes ("direct"), with claims, or
// with candidates and an insert phase; and the ranges it is cut into.
import { blockBytes } from './blocks.ts';
import type { NeedsImmutable } from './level-options.ts';
import { levelRanges, type LevelRef } from './protocol.ts';
import { worthSharing, type SearchPool } from './search-pool.ts';
import type { SearchState } from './search-state.ts';

/** Levels below this are expanded by the calling thread alone (the threads would cost more than they save). */
const PARALLEL_LEVEL = 2048;
/**
 * On several threads a level is cut by guided scheduling (levelRanges, protocol.ts): ranges
 * of up to MAX_RANGE_STATES while much of the level is left, shrinking to the shortest,
 * about RANGE_MS of one thread's work (from the last level's cost per state, at least
 * MIN_RANGE_STATES), at its end, so the threads end a level together. Long ranges matter on
 * Immutable models (~40 µs a state): a range's states share encoded collections (codec.ts
 * interns them per block), and at 256–800 states a range each state cost 15–20% more than
 * at 4096 (two-phase-commit 7, 2 workers, `MMCHECK_TRACE_LEVELS=1`), with 30% bigger
 * frontiers. Fixed ranges of 4096 instead left a thread idle for up to 140 ms at the end of
 * each level. Vectors (~2 µs a state) get the maximum throughout. One thread takes
 * equal ranges of at most the maximum.
 */
const RANGE_MS = 25;
const MIN_RANGE_STATES = 256;
const MAX_RANGE_STATES = 4096;

/** How one level is searched. */
export interface LevelPlan {
  /** False at the depth bound: its states are only looked at for deadlocks and counted steps. */
  readonly expand: boolean;
  /** Shared with the pool's threads (else this thread alone). */
  readonly shared: boolean;
  /** Shared before the threads are known to be ready: they join part-way (protocol.ts Joinable). */
  readonly joinable: boolean;
  /** The level could use claims (no partial-order reduction, not too wide). */
  readonly claimsFit: boolean;
  /** This thread alone, inserting as it goes (not under partial-order reduction's cycle proviso). */
  readonly direct: boolean;
  readonly threads: number;
  /** The level as the threads read it, cut into ranges. */
  readonly level: LevelRef;
}

/**
 * Notes the level's figures (peak frontier, frontier bytes), starts the pool if it is time,
 * and says how the level is searched; or that the vector engine must give way.
 */
export async function planLevel(s: SearchState, pool: SearchPool): Promise<LevelPlan | NeedsImmutable> {
  const { levelSize, main, options } = s;
  s.peakFrontier = Math.max(s.peakFrontier, levelSize);
  s.olderLevelBytes = s.levelBytes;
  s.levelBytes = s.level.reduce((b, x) => b + blockBytes(x), 0);
  s.nextLevelBytes = 0;
  if (s.levelBytes > s.peakFrontierBytes) {
    s.peakFrontierBytes = s.levelBytes;
    s.frontierBytesPerState = s.levelBytes / levelSize;
  }
  pool.start(performance.now());
  const expand = !(options.maxDepth !== undefined && s.depth >= options.maxDepth);
  pool.seeReady();
  // A level is shared when it is long enough to pay for the threads' round trips.
  const big = pool.usable && levelSize >= (options.minSharedLevel ?? PARALLEL_LEVEL) && worthSharing(pool.when, levelSize, s.stateMs);
  if (big) await pool.waitIfAsked();
  const claimsFit = main.select === undefined && levelSize <= 0xffffff && !s.claimsTooNarrow;
  // A level is shared once the pool's threads are ready, or — if it can use claims, whose
  // phases take their work from counters, and is long enough to be worth joining — as soon
  // as the pool has started: a thread still loading or warming up joins it part-way, when
  // its warm-up ends (protocol.ts Joinable), instead of idling until the next level begins.
  const joinable = big && !pool.ready && pool.started && claimsFit && levelSize * s.stateMs >= pool.when.joinMs;
  const notVectorizable = big && (pool.ready || joinable) ? s.identify() : undefined;
  if (notVectorizable !== undefined) return { status: 'needs-immutable', reason: notVectorizable };
  const shared = big && (pool.ready || joinable) && s.source.identity !== undefined;
  // The workers' warm-ups end before their first level (their tasks queue behind them).
  if (shared) pool.endWarmUps();
  const threads = shared ? s.workers : 1;
  // Partial-order reduction's cycle proviso needs the seen set as it was before the level.
  const direct = !shared && main.select === undefined;
  return { expand, shared, joinable, claimsFit, direct, threads, level: levelRef(s, threads) };
}

/** The level as the threads read it: its blocks, where each starts, and its ranges. */
function levelRef(s: SearchState, threads: number): LevelRef {
  const rangeStates = s.stateMs > 0 ? Math.round(Math.min(MAX_RANGE_STATES, Math.max(MIN_RANGE_STATES, RANGE_MS / s.stateMs))) : MAX_RANGE_STATES;
  const starts = levelRanges(s.levelSize, threads, rangeStates, MAX_RANGE_STATES);
  const before: number[] = [];
  let members = 0;
  for (const b of s.level) {
    before.push(members);
    members += b.winners;
  }
  return { segments: s.level, before, start: s.levelStart, size: s.levelSize, starts };
}
