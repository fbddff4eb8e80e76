// The level-synchronous breadth-first search: the same answer for any number of threads, on
// either state representation (vectors or Immutable values). Every run uses it: `check`,
// `bfs()` (this thread alone), --coverage, `mmcheck bench`, footprint inference.
//
// Its phases, each in its own file of src/search/: level 0 (initial-level.ts); per level,
// the plan (level-plan.ts: alone or shared, direct, claims or candidates, the ranges), the
// expand phase (expand-level.ts, the coordinator's side; participant.ts and
// expand-values.ts / expand-vectors.ts, each thread's), the settle phase (settle-level.ts:
// validate the claims or insert the candidates), the report (level-report.ts: violations
// and figures in the sequential order); then the next level or the liveness check and the
// result (this file). What they share is search-state.ts; the pool, search-pool.ts.
//
// A level is cut into ranges of consecutive positions. Each of the search's threads — the
// calling thread and `workers - 1` piscina workers — takes ranges from a shared counter,
// decodes each state of a range from the previous level's blocks, generates its successors
// in (position, action) order, checks properties, and keeps some successors in a block in
// shared memory with their key, parent index and action index. Which ones:
//  - claims (level-claims.ts; the usual case): every successor is inserted into the shared
//    seen set at once, with compare-and-exchange; a new key records its (position, action)
//    — lowered by any thread that meets the key later in the level from a smaller one — in
//    an entry of the level's claim array, whose index the key's slot holds until validation. The
//    thread that inserted a key, or lowered its claim, keeps the state; after the level,
//    a validate phase keeps the copy holding the final (smallest) claim: the parent a
//    sequential BFS records, whatever the timing.
//  - candidates and a merge (partial-order reduction, whose cycle proviso must read the seen
//    set as it was before the level; or a level too wide for claims): keep the successors
//    not in the seen set (read-only in this phase) and not among the thread's own
//    candidates; then thread p inserts the candidates whose key falls in partition p,
//    visiting the blocks in range order, so the first in (position, action) order wins.
// A level expanded by the calling thread alone (a small one, or any level with one worker)
// inserts as it goes instead ("direct"): the first occurrence in the same order wins, so the
// answer is the same. The next level is the winners, block by block: exactly the
// sequential BFS order. Property violations are reported with their (position, action) and
// replayed here in that order through the sequential search's rules (first violation, rest
// of the level for deadlocks, shortest first), so verdicts, figures and counterexamples
// equal those of a breadth-first search on one thread.
//
// Liveness (src/explore/liveness/): with a plan, each range also records its part of the
// state graph and the coordinator assembles it level by level (LivenessRecorder); once every
// state is expanded, the fair-cycle check runs on it and adds its lassos to the violations.
//
// A run bounded by --max-states stops where the sequential search would (the figures are
// cut at that (position, action) of the level); a level expanded alone and direct stops
// expanding there too. FIXME: a level expanded otherwise (several threads, or partial-order
// reduction's candidates) is expanded whole before the cut is known, so a model error in a
// state past the cut is reported as the search's error, where one thread would have stopped
// before it (expand-level.ts expandedRanges). A stop request (--time-limit, --memory,
// Ctrl-C: src/explore/stop-request.ts) is read by every thread before each state; the level
// under way is then dropped. Known limit: the figures of such a run — the levels completed,
// plus the transitions of the ranges expanded when the stop came — depend on timing, and
// can differ from the sequential search's.
import { availableParallelism } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { withExitGuard } from '../explore/exit-guard.ts';
import type { Model } from '../model/model.ts';
import { ModelError, errorText } from '../model/errors.ts';
import { peakRss } from '../explore/search-options.ts';
import type { CheckResult } from '../explore/result.ts';
import { emptyStats, finalResult, withUnchecked } from '../explore/result.ts';
import { MemoryBudget } from '../explore/memory-budget.ts';
import { TableBudgetError, blockBytes } from './blocks.ts';
import { initialLevel } from './initial-level.ts';
import { expandLevel, expandedRanges, type ExpandedLevel, type ExpandedRanges } from './expand-level.ts';
import type { NeedsImmutable, ParallelOptions } from './level-options.ts';
import { planLevel } from './level-plan.ts';
import { reportLevel } from './level-report.ts';
import { loadedFrom, type Loaded } from './loaded.ts';
import type { CandidateBlock, Engine, ModelSource } from './protocol.ts';
import { SearchPool } from './search-pool.ts';
import { SearchState } from './search-state.ts';
import { settleLevel, type SettledLevel } from './settle-level.ts';
import { Checkpoints } from './search-checkpoint.ts';
import { searchSlices } from './sliced-level.ts';
import type { SeenStorage } from './seen-storage.ts';
import { replayTransitions } from './transition-hook.ts';

/** The calling thread yields to timers and signals at least this often (ms). */
const YIELD_MS = 50;

/**
 * Explores every reachable state of the model in `source` breadth-first, on `workers`
 * threads. `model` must be the same model built in this thread (for initial states,
 * traces, and this thread's share of the work). With `source.engine` 'vector' the states
 * are vectors of the model's vector form; a state found without a fixed layout returns
 * `needs-immutable` (check.ts then searches Immutable values).
 *
 * @example
 *   const r = await parallelBfs(model, { file: '/abs/models/drivers/kvm.ts', params: { faults: 2 }, engine: 'vector' }, { workers: 2 });
 */
export async function parallelBfs<S, A>(model: Model<S, A>, source: ModelSource, options: ParallelOptions = {}): Promise<CheckResult | NeedsImmutable> {
  // This thread runs model code too: guard process.exit there.
  return withExitGuard(() => levelSearch(model as Model<unknown, unknown>, source, options));
}

/** The search: level 0, then each level planned, expanded, settled and reported, then liveness. */
async function levelSearch(model: Model<unknown, unknown>, source: ModelSource, options: ParallelOptions): Promise<CheckResult | NeedsImmutable> {
  const s = searchState(model, source, options);
  if (!(s instanceof SearchState)) return s;
  try {
    const checkpoints = options.checkpoint !== undefined ? Checkpoints.open(s, options.checkpoint) : undefined;
    if (checkpoints !== undefined && !(checkpoints instanceof Checkpoints)) return checkpoints;
    if (checkpoints !== undefined) s.checkpointStats = () => checkpoints.stats();
    return await searchLevels(s, model, checkpoints);
  } finally {
    s.storage?.close();
  }
}

/** Level 0, then every level, then liveness: the result. */
async function searchLevels(s: SearchState, model: Model<unknown, unknown>, checkpoints?: Checkpoints): Promise<CheckResult | NeedsImmutable> {
  // Level 0, or the level a checkpoint stopped at (search-checkpoint.ts).
  if (checkpoints?.resuming) {
    const restored = checkpoints.restore(s);
    if (restored !== undefined) return restored;
  } else {
    const first = initialLevel(s);
    if (first !== undefined) return first;
    s.descriptors = s.main.codec.takeNewDescriptors();
    s.strings = s.main.vector?.takeHashedStrings() ?? [];
  }
  const pool = new SearchPool(s);
  const unwatch = watch(s);
  try {
    const pause = pauser(s, pool);
    while (s.levelSize > 0 && !s.stopAfterLevel && s.limit === undefined) {
      pool.throwIfFailed();
      const outcome = await searchLevel(s, pool, pause);
      if (outcome === 'last') break;
      if (outcome !== 'next') return outcome;
      checkpoints?.afterLevel(s);
    }
    // Every state expanded: the liveness check on the recorded graph.
    if (s.liveness !== undefined && s.limit === undefined && !s.stopAfterLevel) {
      const lv = s.liveness.check(model, s.traces, s.keyOf);
      s.livenessStats = lv.stats;
      for (const v of lv.violations) s.record(v);
    }
  } catch (e) {
    const failed = failure(s, e);
    if (failed !== undefined) return failed;
  } finally {
    unwatch();
    await pool.close();
  }
  return result(s);
}

/** The search's state at its start, or why it cannot start. */
function searchState(model: Model<unknown, unknown>, source: ModelSource, options: ParallelOptions): SearchState | CheckResult {
  const engine: Engine = source.engine ?? 'immutable';
  const workers = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
  const failed = (message: string, stack?: string): CheckResult => ({ status: 'error', model: model.name, stats: emptyStats(workers, engine, peakRss()), error: { message, stack } });
  if (engine === 'vector' && options.onTransition !== undefined) return failed('a per-transition hook (onTransition, --coverage) runs on Immutable values: search with the immutable engine');
  if (options.storage !== undefined && options.storage.kind !== 'ram' && options.reduction?.select !== undefined) {
    return failed(`--storage ${options.storage.kind} does not combine with --por: its cycle proviso looks up every earlier state during a level; use --storage ram`);
  }
  let main: Loaded;
  try {
    main = loadedFrom(model, source, engine === 'immutable' ? options.reduction : undefined);
  } catch (e) {
    return failed(errorText(e), (e as Error)?.stack);
  }
  // The run's memory budget (memory-budget.ts): this process's resident memory, all of it.
  try {
    return new SearchState(model, main, source, options, engine, workers, options.memory ?? new MemoryBudget(options.memoryBytes));
  } catch (e) {
    // The spill directory of --storage disk cannot be made.
    return failed(errorText(e));
  }
}

/**
 * One level: planned, expanded, settled, reported, and the next made. 'next' goes on,
 * 'last' ends the search with the figures so far; anything else is the search's result.
 */
async function searchLevel(s: SearchState, pool: SearchPool, pause: () => Promise<void> | undefined): Promise<'next' | 'last' | CheckResult | NeedsImmutable> {
  const part = () => searchPart(s, pool, pause);
  // A level on disk, or one whose successors would not fit in memory: slice by slice (sliced-level.ts).
  const spill = s.storage?.frontier;
  if (spill?.sliced(s)) return searchSlices(s, spill, part, (blocks, newStates) => nextLevel(s, blocks, newStates));
  const settled = await part();
  if (settled === 'last' || 'status' in settled) return settled;
  nextLevel(s, settled.blocks, settled.newStates);
  return 'next';
}

/**
 * The level in `s.level` (all of it, or a slice of consecutive positions) planned, expanded,
 * settled and reported: its successors settled; 'last' ends the search with the figures so
 * far; anything else is the search's result.
 */
async function searchPart(s: SearchState, pool: SearchPool, pause: () => Promise<void> | undefined): Promise<SettledLevel | 'last' | CheckResult | NeedsImmutable> {
  s.expansions++;
  const plan = await planLevel(s, pool);
  if ('status' in plan) return plan;
  const tLevel = performance.now();
  const expanded = await expandLevel(s, pool, plan, pause);
  const ranges = expandedRanges(s, plan, expanded);
  if (ranges === 'stopped') {
    // A stop request (time, memory, Ctrl-C) dropped the level under way.
    s.stopWith(s.stopRequest.reason ?? 'interrupted');
    s.transitions += expanded.results.reduce((t, r) => t + r.ranges.reduce((u, x) => u + x.transitions, 0), 0);
    if (s.options.onTransition !== undefined && plan.expand) replayTransitions(s.main, plan.level, expanded.byRange, undefined, s.options.onTransition);
    return 'last';
  }
  if ('status' in ranges) return ranges;
  s.nextLevelBytes = ranges.ranges.reduce((n, r) => n + blockBytes(r.block), 0);
  s.candidateBytesPerState = s.nextLevelBytes / s.levelSize;
  const tSettle = performance.now();
  let settled = await settleLevel(s, pool, plan, expanded.results, expanded.claims, ranges.ranges.map((r) => r.block));
  if (settled === 'over budget') {
    s.stopWith('memory', s.budget.reached(s.memoryTerms(), 'the seen set would grow past the budget'));
    return 'last';
  }
  if ('status' in settled) return settled;
  if (s.storage !== undefined) settled = withoutArchived(s.storage, settled);
  notePace(s, expanded, settled.newStates);
  if (!reportLevel(s, plan, ranges, settled)) return 'last';
  checkLimits(s);
  s.options.live?.publish(s.distinct, s.transitions, s.depth);
  reportTiming(s, expanded, ranges, settled, { expandMs: tSettle - tLevel - expanded.growMs, settleMs: performance.now() - tSettle });
  return settled;
}

/** Makes the next level the one to search: its blocks in memory (none when it is on disk) and its size. */
function nextLevel(s: SearchState, blocks: CandidateBlock[], newStates: number): void {
  s.levelStart += s.levelSize;
  s.levelSize = newStates;
  s.level = blocks;
  // The next level's new states, as its claims are sized (expand-level.ts makeRoomForClaims);
  // the frontier's keys go back into the table only from memory.
  const inMemory = s.storage?.frontier?.levelFile === undefined ? s.levelSize : 0;
  s.storage?.afterLevel(s.parts, s.level, inMemory, { newStates: Math.ceil(s.levelSize * Math.max(1, s.lastRatio) * 1.5), partitionBytes: s.tableRoom() });
}

/** A settled level without the new states the storage's archive holds (seen-storage.ts: met at an earlier level). */
function withoutArchived(storage: SeenStorage, settled: SettledLevel): SettledLevel {
  const { blocks, perBlock } = storage.dropArchived(settled.blocks);
  return { ...settled, blocks, perBlock, newStates: perBlock.reduce((a, b) => a + b, 0) };
}

/** What the level says of the next: new states per state (sizes claims), a thread's time a state (sizes ranges). */
function notePace(s: SearchState, expanded: ExpandedLevel, newStates: number): void {
  s.lastRatio = newStates / s.levelSize;
  const busy = expanded.results.reduce((t, r) => t + (r.busyMs ?? 0), 0);
  // A level of a few states says little (and its first states pay for the JIT).
  if (s.levelSize >= 256 && busy > 0) s.stateMs = busy / s.levelSize;
}

/**
 * After a level: a stop request, or the memory the next level needs. It needs this level's
 * blocks and its own: stop now if what is resident already crosses the threshold, or if this
 * thread's JS heap nears V8's limit (which would end the process, whatever the budget).
 */
function checkLimits(s: SearchState): void {
  if (s.limit !== undefined || s.stopAfterLevel) return;
  if (s.stopRequest.reason !== undefined) return s.stopWith(s.stopRequest.reason);
  const heap = getHeapStatistics().used_heap_size;
  if (!s.budget.fits()) s.stopWith('memory', s.budget.reached(s.memoryTerms()));
  else if (heap > s.heapLimit * 0.85) s.stopWith('memory', `memory budget reached: this thread's JS heap is at ${mib(heap)} of its ${mib(s.heapLimit)} MiB limit (node --max-old-space-size raises it)`);
}

/** Tells ParallelOptions.onLevel how the level went. */
function reportTiming(s: SearchState, expanded: ExpandedLevel, ranges: ExpandedRanges, settled: SettledLevel, ms: { expandMs: number; settleMs: number }): void {
  const { results } = expanded;
  s.options.onLevel?.({
    depth: s.depth,
    states: s.levelSize,
    threads: results.length,
    claims: expanded.claims !== undefined,
    attempts: expanded.attempts,
    growMs: expanded.growMs,
    ...ms,
    checkMs: ranges.checkMs,
    busyMs: results.map((r) => r.busyMs ?? 0),
    expanded: results.map((r) => r.ranges.reduce((n, x) => n + x.actionCounts.length, 0)),
    candidates: settled.blocks.reduce((c, b) => c + b.count, 0),
    newStates: settled.newStates,
  });
}

/**
 * What this thread awaits between ranges of a level it expands: every YIELD_MS it lets
 * timers and signals run, starts the pool if a long level makes it worth it, and looks at
 * the resident memory (the CLI's watchdog also looks every 50 ms).
 */
function pauser(s: SearchState, pool: SearchPool): () => Promise<void> | undefined {
  let lastYield = performance.now();
  return () => {
    const now = performance.now();
    if (now - lastYield < YIELD_MS) return undefined;
    pool.start(now);
    if (!s.budget.fits()) s.stopRequest.request('memory');
    return new Promise<void>((r) => setImmediate(r)).then(() => {
      lastYield = performance.now();
      // A pool thread that died starting up ends the search now, not at the level's end.
      pool.throwIfFailed();
    });
  };
}

/** Ctrl-C (the signal), the time limit, progress lines and the watchdog's partial result; returns what undoes them. */
function watch(s: SearchState): () => void {
  const { options, stopRequest } = s;
  const onAbort = () => void stopRequest.request('interrupted');
  options.signal?.addEventListener('abort', onAbort);
  const timer =
    options.timeLimitMs !== undefined && Number.isFinite(options.timeLimitMs) ? setTimeout(() => stopRequest.request('time-limit'), Math.max(0, options.timeLimitMs - (performance.now() - s.t0))) : undefined;
  if (options.live !== undefined) options.live.partial = (reason, note) => s.partialResult(reason, note);
  const progress =
    options.onProgress !== undefined
      ? setInterval(() => {
          const elapsedMs = performance.now() - s.t0;
          options.onProgress!({ elapsedMs, distinctStates: s.distinct, transitions: s.transitions, depth: s.depth, frontier: s.levelSize, statesPerSecond: (s.distinct * 1000) / elapsedMs });
        }, options.progressIntervalMs ?? 5000)
      : undefined;
  return () => {
    options.signal?.removeEventListener('abort', onAbort);
    if (timer !== undefined) clearTimeout(timer);
    if (progress !== undefined) clearInterval(progress);
  };
}

/** A failure thrown during the search: the memory budget (the figures so far), or an error result. */
function failure(s: SearchState, e: unknown): CheckResult | undefined {
  if (e instanceof TableBudgetError) {
    s.stopWith('memory', s.budget.reached(s.memoryTerms(), e.message));
    return undefined;
  }
  // piscina rejects with "worker exited with code: N" or a memory-limit error when a worker
  // thread dies (out of memory, or model code ended it past the exit guard).
  const text = errorText(e);
  const died = /worker exited with code|reaching memory limit|ERR_WORKER_OUT_OF_MEMORY/i.test(text)
    ? `a worker thread died (${text.replace(/^Error: /, '')}): it may have run out of memory, or model code ended it; run with --workers 1 to see the step`
    : text;
  const err = e instanceof ModelError ? e : new ModelError({ model: s.model.name }, died, { cause: e });
  return s.errorResult(err.message, ((err.cause as Error | undefined) ?? err).stack);
}

/** The search's result: its verdict, figures and violations, and the liveness left unchecked by a limit. */
function result(s: SearchState): CheckResult {
  // After a liveness check every property was checked (a safety violation would have stopped
  // the search before it, unless --all-properties): every violation found is reported.
  const r = finalResult(s.model.name, s.stats(), s.propertyNames, s.violations, s.limit, s.limitReason, (s.options.allProperties ?? false) || s.livenessStats !== undefined);
  // A liveness verdict needs every state: a run cut short by a limit checks none.
  if (s.liveness === undefined || s.limit === undefined) return r;
  return withUnchecked(r, s.liveness.plan.properties.map((p) => ({ property: p.name, reason: 'needs every state, and the search stopped before' })));
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
