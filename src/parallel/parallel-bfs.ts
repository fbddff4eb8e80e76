// The level-synchronous breadth-first search: the same answer for any number of threads, on
// either state representation (vectors or Immutable values).
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
// equal those of bfs.ts.
//
// Liveness (src/explore/liveness/): with a plan, each range also records its part of the
// state graph and the coordinator assembles it level by level (LivenessRecorder); once every
// state is expanded, the fair-cycle check runs on it and adds its lassos to the violations.
//
// A run bounded by --max-states stops where the sequential search would (the figures are
// cut at that (position, action) of the level). A stop request (--time-limit, --memory,
// Ctrl-C: src/explore/stop-request.ts) is read by every thread before each state; the level
// under way is then dropped. Known limit: the figures of such a run — the levels completed,
// plus the transitions of the ranges expanded when the stop came — depend on timing, and
// can differ from the sequential search's.
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { workerBundle } from './bundle.ts';
import { threadId } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { Piscina } from 'piscina';
import { withExitGuard } from '../explore/exit-guard.ts';
import { type Model } from '../model/model.ts';
import { ModelError, errorText } from '../model/errors.ts';
import type { MemoStats } from '../model/vector.ts';
import { peakRss, type SearchOptions } from '../explore/search-options.ts';
import type { CheckResult, CheckStats, Limit, Violation } from '../explore/result.ts';
import { collisionProbability, emptyStats, finalResult, withUnchecked } from '../explore/result.ts';
import { ByteSink } from '../state/codec.ts';
import { packVector } from '../state/packed.ts';
import { validateState } from '../state/validate.ts';
import { BlockBuilder, DirectDedupe, TableBudgetError, blockBytes } from './blocks.ts';
import { NotVectorizableError } from '../state/layout.ts';
import { loadedFrom, type Loaded } from './loaded.ts';
import { checkSamples, modelIdentity } from './model-identity.ts';
import { expandPhase, insertPhase, validatePhase } from './participant.ts';
import { claimsBytes, newClaims, reuseClaims, type ClaimsRef } from './level-claims.ts';
import { type CandidateBlock, type Engine, type ExpandResult, type ExpandTask, type InsertResult, type InsertTask, type LevelRef, type ValidateResult, type ValidateTask, type ModelSource, type RangeResult, type Task, type WorkerEvent, WARM_READY, WARM_STOP, closeJoin, levelRanges, rangeBounds } from './protocol.ts';
import { GROWTH, GrowingSeenSet, KEY_BITS, MAX_LOAD, partitionOf, type GrowableRef } from './shared-seen-set.ts';
import { ROOT, TraceStore } from './trace-store.ts';
import { replayTransitions, type StopPoint } from './transition-hook.ts';
import { LivenessRecorder } from '../explore/liveness/recorder.ts';
import type { LivenessPlan } from '../explore/liveness/plan.ts';
import type { LivenessStats } from '../explore/result.ts';
import { StopRequest, stopText, type StopReason } from '../explore/stop-request.ts';
import { MemoryBudget, memoryAtStart, searchTerms, type MemoryTerm } from '../explore/memory-budget.ts';
import { MemoPayoff } from '../explore/memo-payoff.ts';

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
   * least `level` states (default START_POOL_MS and START_POOL_LEVEL); and which levels its
   * threads may join part-way before they are ready: those expected to take `joinMs` on this
   * thread (default JOINABLE_MS). Tests start it at once and let them join every level.
   */
  readonly startPool?: { readonly afterMs: number; readonly level: number; readonly joinMs: number };
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

/**
 * A pool of `workers - 1` threads for searches with `workers` threads (the calling thread is
 * one of them). `entry` is a bundled worker (bundle.ts); by default threads load the
 * TypeScript worker through tsx.
 */
export function createWorkerPool(workers: number, entry?: string): Piscina {
  const threads = Math.max(1, workers - 1);
  const pool = new Piscina({
    filename: entry !== undefined ? pathToFileURL(entry).href : new URL('./worker-entry.mjs', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
    // One task at a time per thread: the phases of a level are barriers anyway.
    concurrentTasksPerWorker: 1,
  });
  // A thread that dies rejects the task it ran (the search reports that); piscina also
  // emits 'error' when it had no task left, which must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

/** Levels below this are expanded by the calling thread alone (the threads would cost more than they save). */
const PARALLEL_LEVEL = 2048;
/**
 * An own pool is started once the search has run this long (ms) with levels at least
 * `START_POOL_LEVEL` states: a search that ends sooner never pays for starting threads
 * (~0.2 s from a bundle, the warm-up included, plus ~0.2 s to build the bundle the first
 * time). Its threads join the level under way when they are ready (protocol.ts Joinable).
 */
const START_POOL_LEVEL = 2048;
const START_POOL_MS = 250;
/**
 * How long a worker may go on warming up (warm-up.ts) after it is ready, while this thread
 * still runs levels alone: a core that would idle runs the model's code, so the worker's
 * first shared level runs JIT-compiled and, on the vector engine, with fuller memo tries.
 */
const WARM_HOLD_MS = 3000;
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
/**
 * A level expected to take this long alone (ms, at the last level's cost a state) is shared
 * before the pool's threads are known to be ready, so that they join it part-way: shorter
 * ones are not worth the claims' cost on this thread alone (kvm 2/2/5 on vectors: its
 * 20-50 ms levels took twice as long with claims as without, before the worker came).
 */
const JOINABLE_MS = 100;
/**
 * What a worker thread adds to the resident memory before it holds any of the search (its
 * runtime, the bundle's code, the model): on kvm, ~25–35 MiB. The pool is not started when
 * the memory budget has no room for its threads.
 */
const WORKER_THREAD_BYTES = 32 * 2 ** 20;
/** The calling thread yields to timers and signals at least this often (ms). */
const YIELD_MS = 50;

let searches = 0;

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
  // This thread runs model code too: guard process.exit there as the sequential search does.
  return withExitGuard(() => levelSearch(model as Model<unknown, unknown>, source, options));
}

// FIXME(function-length): levelSearch is 683 lines, over the 120 a reader can take in (test/package/function-length.test.ts holds it there): split it into named parts.
async function levelSearch(model: Model<unknown, unknown>, source: ModelSource, options: ParallelOptions): Promise<CheckResult | NeedsImmutable> {
  const t0 = performance.now();
  const engine: Engine = source.engine ?? 'immutable';
  const workers = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
  const heapLimit = getHeapStatistics().heap_size_limit;
  // The run's memory budget (memory-budget.ts): this process's resident memory, all of it.
  const budget = options.memory ?? new MemoryBudget(options.memoryBytes);
  const atStart = memoryAtStart();
  // Default budget: most of the JS heap, plus room off the heap (seen set, trace, frontier
  // blocks are SharedArrayBuffers) of 8 GiB or half the machine's memory, whichever is less.
  if (engine === 'vector' && options.onTransition !== undefined) {
    return { status: 'error', model: model.name, stats: emptyStats(workers, engine, peakRss()), error: { message: 'a per-transition hook (onTransition, --coverage) runs on Immutable values: search with the immutable engine' } };
  }
  let main: Loaded;
  try {
    main = loadedFrom(model, source, engine === 'immutable' ? options.reduction : undefined);
  } catch (e) {
    return { status: 'error', model: model.name, stats: emptyStats(workers, engine, peakRss()), error: { message: errorText(e), stack: (e as Error)?.stack } };
  }
  if (main.vector !== undefined) {
    // One record of the slots invariants read, for every thread (see Successors.touches).
    const invariantReads = new SharedArrayBuffer(main.vector.invariantReadsBytes);
    main.vector.shareInvariantReads(invariantReads);
    source = { ...source, invariantReads };
  }
  /**
   * What a worker's model must be before it joins (model-identity.ts), computed when the
   * first worker may start: by then the search has expanded the initial states here, so the
   * model code it runs has run before (a search on this thread alone never runs it).
   */
  const identify = (): string | undefined => {
    if (source.identity !== undefined) return undefined;
    try {
      source = { ...source, identity: modelIdentity(main) };
    } catch (e) {
      // A successor of an initial state without a fixed layout: the search meets it too.
      if (e instanceof NotVectorizableError) return e.message;
      // Model code that fails here (a step or property erring on an initial state) fails in
      // the search too: no identity, so this thread searches alone and meets the error in the
      // search's own order, the one a run on any other thread count reports (a model with two
      // mistakes used to report the second with a pool ready at level 0).
    }
    return undefined;
  };
  const { invariants } = main;
  const keyOf = main.keyOf;
  const propertyNames = model.properties.map((p) => p.name);
  const violations: Violation[] = [];
  const violated = new Set<string>();
  /** Vector engine: the strings any thread gave a hashed code (each thread learns them all). */
  let strings: string[] = [];
  const traces = new TraceStore();
  const liveness = options.livenessPlan !== undefined ? new LivenessRecorder(options.livenessPlan) : undefined;
  let livenessStats: LivenessStats | undefined;
  // The seen set, in one partition per thread (by key): a thread inserts only into its own,
  // so the insert phase needs no atomics; a level expanded alone inserts into all of them.
  let parts: GrowingSeenSet[] = Array.from({ length: workers }, () => new GrowingSeenSet(1024));
  const seenBytes = () => parts.reduce((b, p) => b + p.bytes, 0);
  const stored = () => parts.reduce((c, p) => c + p.count, 0);
  /** A partition's share of the memory budget, given what else is held now. */
  /** The bytes a seen-set partition may grow to now: its share of the room left under the memory budget (a table and its successor coexist while it grows). */
  const tableRoom = () => Math.max(0, (budget.stopAtBytes - budget.resident()) / workers);
  /** Frontier blocks held: the level before (its blocks are reused two levels on), this level, and the next. */
  let olderLevelBytes = 0;
  let nextLevelBytes = 0;
  /** The JS heaps of the pool's threads, as they last reported them. */
  const workerHeaps = new Map<number, number>();
  /** Where the memory went, for a stop for memory (the rest of the resident memory is the remainder). */
  const memoryTerms = (): MemoryTerm[] =>
    searchTerms(
      atStart,
      [
        { name: 'seen set', bytes: seenBytes() },
        { name: 'trace', bytes: traces.bytes },
        { name: 'frontier', bytes: olderLevelBytes + levelBytes + nextLevelBytes },
        { name: 'claims', bytes: claimsHeld?.entries.byteLength ?? 0 },
        { name: 'state graph (liveness)', bytes: liveness?.bytes ?? 0 },
      ],
      [...workerHeaps.values()],
    );
  /** The claim entries held (for memoryTerms). */
  let claimsHeld: ClaimsRef | undefined;
  let distinct = 0;
  let transitions = 0;
  let depth = 0;
  let peakFrontier = 0;
  let peakFrontierBytes = 0;
  let frontierBytesPerState = 0;
  let limit: Limit | undefined;
  let limitReason = '';
  let stopAfterLevel = false;
  let levelBytes = 0;
  const memo = new Map<number, MemoStats>();
  // Whether the vector engine pays (--engine auto), judged on the states expanded so far.
  const payoff = engine === 'vector' && options.fallBackWhenSlow === true ? new MemoPayoff() : undefined;
  let statesExpanded = 0;
  // Read by every search thread before each state (stop-request.ts).
  const stopRequest = options.stop ?? new StopRequest();
  const control = stopRequest.buffer;
  // Tells this search's levels from another's on a shared pool.
  const searchId = `${process.pid}.${++searches}.${Math.random().toString(36).slice(2)}`;


  const stats = (): CheckStats => {
    const elapsedMs = performance.now() - t0;
    return {
      distinctStates: distinct,
      transitions,
      depth,
      elapsedMs,
      statesPerSecond: elapsedMs > 0 ? (distinct * 1000) / elapsedMs : 0,
      peakMemoryBytes: peakRss(),
      seenSetBytesPerState: distinct > 0 ? (seenBytes() + traces.bytes) / distinct : 0,
      peakFrontier,
      collisionProbability: collisionProbability(distinct, KEY_BITS),
      fingerprintBits: KEY_BITS,
      workers,
      frontierBytesPerState,
      engine,
      ...(engine === 'vector' ? { memo: sumMemo(memo), ...(strings.length > 0 ? { hashedStrings: [...strings] } : {}) } : {}),
      ...(livenessStats !== undefined ? { liveness: livenessStats } : {}),
    };
  };
  const errorResult = (message: string, stack?: string): CheckResult => ({ status: 'error', model: model.name, stats: stats(), error: { message, stack } });



  const record = (v: Violation) => {
    violated.add(v.property);
    violations.push(v);
    // --all-properties (--continue) explores the whole state space, whatever it finds.
    if (!options.allProperties) stopAfterLevel = true;
  };

  // Level 0: the initial states, checked and encoded here.
  let level: CandidateBlock[];
  try {
    const inits = model.initStates();
    const sink = new ByteSink(1 << 12);
    const out = new BlockBuilder();
    out.reset(workers, false);
    const fp = new Uint32Array(2);
    const vec = engine === 'vector' ? new Int32Array(main.vector!.width) : null;
    const kept: number[] = [];
    for (let i = 0; i < inits.length; i++) {
      const s = inits[i];
      validateState(s);
      if (vec !== null) {
        main.vector!.encode(s, vec);
        // Through the vector model too, so its record of what invariants read covers these
        // states' verdicts (their successors are checked only where a step can change one).
        for (let q = 0; q < main.vector!.invariantCount; q++) main.vector!.checkInvariant(q, vec);
      } else main.codec.learnFrom(s);
      keyOf(s, fp);
      if (!parts[partitionOf(fp[0], workers)].insertGrowing(fp[0], fp[1], MAX_LOAD, GROWTH)) continue;
      if (options.maxStates !== undefined && kept.length >= options.maxStates) {
        // An (N+1)-th initial state under --max-states N: not counted, and the search ends here.
        limit = 'max-states';
        limitReason = `max states ${options.maxStates} reached`;
        break;
      }
      kept.push(i);
      liveness?.initial(fp[0], fp[1]);
      // A vector level stores each state's own fingerprint only without symmetry (then it is the key).
      out.push(fp[0], fp[1], ROOT, i, vec !== null ? packVector(vec, sink) : main.codec.encode(s, sink), -1);
    }
    const block = out.finish(sink, true);
    distinct = kept.length;
    traces.addLevel(new Uint32Array(kept.length).fill(ROOT), Uint16Array.from(kept));
    level = [block];
    // Invariants of the initial states, in order (as bfs.ts does).
    kept.forEach((i, k) => {
      for (const inv of invariants) {
        if (violated.has(inv.name)) continue;
        const msg = inv.check(inits[i]);
        if (msg !== null) record({ property: inv.name, kind: 'invariant', message: msg, trace: traces.traceTo(model, k, undefined, undefined, keyOf) });
      }
    });
  } catch (e) {
    if (e instanceof NotVectorizableError) return { status: 'needs-immutable', reason: e.message };
    // A model error (an invariant's bad result) already says where; anything else happened here.
    return errorResult(e instanceof ModelError ? e.message : `the initial state: ${errorText(e)}`, (e as Error)?.stack);
  }

  // The pool: given, or started once the search is big enough; until its threads have
  // imported the model, this thread expands every level alone.
  let pool = options.pool;
  const ownPool = pool === undefined;
  let poolReady = !ownPool;
  /**
   * Why the search's own pool failed: a thread died loading the model or warming up (model
   * code that ends its thread, or no memory). Raised at the next level, as a thread that
   * dies during a level is.
   */
  let poolFailure: unknown;
  const canUsePool = workers > 1;
  // waitForPool (tests on a busy machine) also starts the pool at once: a pool started late, at
  // the search's last big level, would leave no level to wait at.
  const when = options.startPool ?? (options.waitForPool === true ? { afterMs: 0, level: 0, joinMs: JOINABLE_MS } : { afterMs: START_POOL_MS, level: START_POOL_LEVEL, joinMs: JOINABLE_MS });
  // The warm-ups' [stop, ready] (protocol.ts WarmTask).
  const warmControl = new Int32Array(new SharedArrayBuffer(8));
  let tPoolStart = 0;
  const warmUp = (p: Piscina) => {
    // A worker goes on warming while this thread runs levels alone, if it has a core of its
    // own (more threads than cores would slow this one down).
    const holdMs = workers <= availableParallelism() ? WARM_HOLD_MS : 0;
    const warm = Array.from({ length: Math.max(1, workers - 1) }, () => p.run({ kind: 'warm', source, search: searchId, control: warmControl.buffer as SharedArrayBuffer, holdMs } satisfies Task));
    // Readiness is the control's count (a warm task that ends well has said it is ready);
    // a thread that dies instead fails the search.
    Promise.all(warm).catch((e: unknown) => (poolFailure = e ?? new Error('a worker thread failed to start')));
  };
  let starting = false;
  /** Starts the pool once the search has run a while on a level big enough to share. */
  const startPool = (now: number) => {
    if (!ownPool || levelSize < when.level || now - t0 < when.afterMs) return;
    if (pool !== undefined || starting || !canUsePool) return;
    // Each thread holds its own runtime, bundle and model: none when the budget has no room.
    if (!budget.fits((workers - 1) * WORKER_THREAD_BYTES)) return;
    if (identify() !== undefined || source.identity === undefined) return;
    starting = true;
    // Threads load a bundle of the worker and model (fast), or the TypeScript through tsx.
    tPoolStart = performance.now();
    void (source.file !== '' ? workerBundle(source.file) : Promise.resolve(null)).then((entry) => {
      if (destroyed) return;
      pool = createWorkerPool(workers, entry ?? undefined);
      warmUp(pool);
    });
  };
  let destroyed = false;
  const run = <R>(task: Task): Promise<R> => {
    const p = pool!.run(task) as Promise<R>;
    // Awaited later (after this thread's own share): marked handled now, so a thread that
    // dies meanwhile is not an unhandled rejection.
    p.catch(() => undefined);
    return p;
  };
  const descriptors: string[] = main.codec.takeNewDescriptors();
  strings = main.vector?.takeHashedStrings() ?? [];
  const onAbort = () => void stopRequest.request('interrupted');
  options.signal?.addEventListener('abort', onAbort);
  const timer =
    options.timeLimitMs !== undefined && Number.isFinite(options.timeLimitMs) ? setTimeout(() => stopRequest.request('time-limit'), Math.max(0, options.timeLimitMs - (performance.now() - t0))) : undefined;
  if (options.live !== undefined) {
    options.live.partial = (reason, note) =>
      finalResult(model.name, stats(), propertyNames, [...violations], reason, `${stopText(reason, options.timeLimitMs, () => budget.reached(memoryTerms()))}; ${note}`, options.allProperties ?? false);
  }
  /** What a stop request ends the search with. */
  const stopWith = (reason: StopReason): void => {
    limit = reason;
    limitReason = stopText(reason, options.timeLimitMs, () => budget.reached(memoryTerms()));
  };
  const progressEvery = options.progressIntervalMs ?? 5000;
  let levelSize = distinct;
  const progress =
    options.onProgress !== undefined
      ? setInterval(() => {
          const elapsedMs = performance.now() - t0;
          options.onProgress!({ elapsedMs, distinctStates: distinct, transitions, depth, frontier: levelSize, statesPerSecond: (distinct * 1000) / elapsedMs });
        }, progressEvery)
      : undefined;
  let lastYield = performance.now();
  const pause = (): Promise<void> | undefined => {
    const now = performance.now();
    if (now - lastYield < YIELD_MS) return undefined;
    // A long level alone on this thread: start the pool now, so the next level can use it.
    startPool(now);
    // Between ranges: the resident memory (the CLI's watchdog also looks every 50 ms).
    if (!budget.fits()) stopRequest.request('memory');
    return new Promise<void>((r) => setImmediate(r)).then(() => {
      lastYield = performance.now();
      // A pool thread that died starting up ends the search now, not at the level's end.
      if (poolFailure !== undefined) throw poolFailure;
    });
  };

  try {
    let levelStart = 0;
    // New states per state of the last level (sizes a level's claims).
    let lastRatio = 2;
    // One thread's time a state at the last level of a few hundred states or more (ms; 0
    // before one): it sizes the shortest ranges (RANGE_MS of work) and says which levels are
    // worth joining.
    let stateMs = 0;
    const claimsRoom = options.claimsRoom ?? { least: 4096, factor: 1.5 };
    // Set once a level had a state with more steps than a claim can number (256).
    let claimsTooNarrow = false;
    // The claim entries, reused from level to level while large enough.
    let claimsBuffer: ClaimsRef | undefined;
    while (levelSize > 0 && !stopAfterLevel && limit === undefined) {
      if (poolFailure !== undefined) throw poolFailure;
      peakFrontier = Math.max(peakFrontier, levelSize);
      olderLevelBytes = levelBytes;
      levelBytes = level.reduce((b, x) => b + blockBytes(x), 0);
      nextLevelBytes = 0;
      if (levelBytes > peakFrontierBytes) {
        peakFrontierBytes = levelBytes;
        frontierBytesPerState = levelBytes / levelSize;
      }
      startPool(performance.now());
      const expandLevel = !(options.maxDepth !== undefined && depth >= options.maxDepth);
      const seeReady = () => {
        if (!poolReady && pool !== undefined && Atomics.load(warmControl, WARM_READY) >= workers - 1) {
          poolReady = true;
          options.onPoolReady?.({ startedMs: tPoolStart - t0, readyMs: performance.now() - t0 });
        }
      };
      seeReady();
      const big = canUsePool && levelSize >= (options.minSharedLevel ?? PARALLEL_LEVEL);
      // The pool is created once its bundle is built (asynchronously): wait for that too.
      if (big && options.waitForPool === true && !poolReady && (pool !== undefined || starting)) {
        const until = performance.now() + 60_000;
        while ((pool === undefined || Atomics.load(warmControl, WARM_READY) < workers - 1) && poolFailure === undefined && !destroyed && performance.now() < until) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        if (poolFailure !== undefined) throw poolFailure;
        seeReady();
      }
      const claimsFit = main.select === undefined && levelSize <= 0xffffff && !claimsTooNarrow;
      // A level is shared once the pool's threads are ready, or — if it can use claims, whose
      // phases take their work from counters, and is long enough to be worth joining — as soon
      // as the pool has started: a thread still loading or warming up joins it part-way, when
      // its warm-up ends (protocol.ts Joinable), instead of idling until the next level begins.
      const joinable = big && !poolReady && pool !== undefined && claimsFit && levelSize * stateMs >= when.joinMs;
      const notVectorizable = big && (poolReady || joinable) ? identify() : undefined;
      if (notVectorizable !== undefined) return { status: 'needs-immutable', reason: notVectorizable };
      const shared = big && (poolReady || joinable) && source.identity !== undefined;
      // The workers' warm-ups end before their first level (their tasks queue behind them).
      if (shared) Atomics.store(warmControl, WARM_STOP, 1);
      const threads = shared ? workers : 1;
      // Partial-order reduction's cycle proviso needs the seen set as it was before the level.
      const direct = !shared && main.select === undefined;
      const rangeStates = stateMs > 0 ? Math.round(Math.min(MAX_RANGE_STATES, Math.max(MIN_RANGE_STATES, RANGE_MS / stateMs))) : MAX_RANGE_STATES;
      const starts = levelRanges(levelSize, threads, rangeStates, MAX_RANGE_STATES);
      const ranges = starts.length - 1;
      const before: number[] = [];
      let members = 0;
      for (const b of level) {
        before.push(members);
        members += b.winners;
      }
      const levelRef: LevelRef = { segments: level, before, start: levelStart, size: levelSize, starts };
      const tLevel = performance.now();
      let growMs = 0;
      // Several threads insert at once with claims (level-claims.ts), unless a level is too
      // wide for them (then every successor waits for the insert phase), or partial-order
      // reduction's cycle proviso must read the seen set as it was before the level.
      let useClaims = shared && claimsFit;
      let results: ExpandResult[];
      let byRange: (RangeResult | undefined)[];
      let levelClaims: ClaimsRef | undefined;
      let attempts = 0;
      for (let attempt = 0; ; attempt++) {
        attempts = attempt + 1;
        if (useClaims) {
          const room = Math.max(claimsRoom.least, Math.ceil(levelSize * Math.max(1, lastRatio) * claimsRoom.factor)) * 2 ** attempt;
          // Each partition's share of that room (keys spread evenly over the partitions; the
          // claims count each partition's insertions, so an uneven level is redone, never
          // overfilled); partitions grow at once, one per thread.
          const partRoom = Math.ceil((room / parts.length) * 1.1);
          const tg = performance.now();
          const grows: Promise<void>[] = [];
          // The first partition that must grow grows here, the others on the pool's threads
          // (all here while they may not be ready).
          const here: (() => void)[] = [];
          const caps = parts.map((part) => {
            const need = Math.ceil((part.count + partRoom) / MAX_LOAD);
            return need <= part.table.capacity ? 0 : Math.max(need, Math.ceil(part.table.capacity * GROWTH));
          });
          // Weighed before it is allocated: the new tables beside the old ones, and the claims.
          const growBytes = caps.reduce((n, cap) => n + cap * 8, 0);
          if (!budget.fits(growBytes + claimsBytes(partRoom, parts.length))) {
            throw new TableBudgetError(`the seen set's growth for the next level (${mib(growBytes)} MiB) would pass the budget`);
          }
          parts.forEach((part, p) => {
            const cap = caps[p];
            if (cap === 0) return;
            if (here.length === 0 || joinable) here.push(() => part.growAlone(cap));
            else grows.push(run<GrowableRef>({ kind: 'grow', table: part.ref, capacity: cap }).then((ref) => void (parts[p] = GrowingSeenSet.fromRef(ref))));
          });
          for (const grow of here) grow();
          await Promise.all(grows);
          growMs += performance.now() - tg;
          levelClaims = (claimsBuffer !== undefined ? reuseClaims(claimsBuffer, partRoom, parts.length) : null) ?? newClaims(partRoom, parts.length) ?? undefined;
          claimsHeld = levelClaims;
          if (levelClaims === undefined) {
            // More new states than a slot can number entries for: this level and the ones
            // after it go without claims.
            useClaims = false;
            claimsTooNarrow = true;
          } else claimsBuffer = levelClaims;
        }
        const task: ExpandTask = {
          kind: 'expand',
          source,
          search: searchId,
          descriptors,
          strings,
          tables: parts.map((p) => p.table.ref),
          level: levelRef,
          expansion: depth,
          counter: new SharedArrayBuffer(4),
          levelId: `${searchId}:${levelStart}:${attempt}`,
          expand: expandLevel,
          skip: [...violated],
          control,
          sample: options.checkWorkerSample ?? true,
          ...(liveness !== undefined ? { graph: true } : {}),
          ...(useClaims ? { claims: levelClaims } : {}),
          ...(joinable ? { join: new SharedArrayBuffer(4) } : {}),
        };

        // Phase 1: expand (this thread takes ranges too).
        const others: Promise<ExpandResult>[] = [];
        if (shared) for (let w = 1; w < workers; w++) others.push(run<ExpandResult>(task));
        let mine: ExpandResult;
        let theirs: PromiseSettledResult<ExpandResult>[];
        try {
          mine = await expandPhase(main, task, direct ? new DirectDedupe(parts, MAX_LOAD, GROWTH, tableRoom(), options.maxStates !== undefined ? options.maxStates - distinct : Infinity) : undefined, pause);
        } finally {
          // Let the other threads finish before anything else touches the level.
          theirs = await participants(others, task.join);
        }
        results = [mine, ...fulfilled(theirs)];
        for (const r of results) if (r.heapBytes !== undefined && r.thread !== threadId) workerHeaps.set(r.thread, r.heapBytes);
        byRange = new Array(ranges);
        for (const r of results) {
          for (const x of r.ranges) byRange[x.range] = x;
          for (const d of r.descriptors) if (!descriptors.includes(d)) descriptors.push(d);
          if (r.strings.length > 0) {
            main.vector!.learnStrings(r.strings);
            for (const x of r.strings) if (!strings.includes(x)) strings.push(x);
          }
        }
        if (useClaims) {
          for (const r of results) r.inserted!.forEach((n, p) => (parts[p].count += n));
          if (results.some((r) => r.overflow)) {
            // More new states than room, or a claim too wide: take this level's insertions
            // out of the seen set (its claimed slots) and redo it (with twice the room, or
            // without claims).
            for (const part of parts) part.rebuildWithoutClaimed(part.table.capacity);
            if (results.some((r) => r.wide)) {
              // A state with more than 256 steps: later levels would only meet it again.
              useClaims = false;
              claimsTooNarrow = true;
            }
            levelClaims = undefined;
            continue;
          }
        }
        break;
      }
      memoOf(main, results, memo);
      statesExpanded += levelSize;
      if (payoff !== undefined) {
        const why = payoff.verdict(sumMemo(memo), statesExpanded);
        if (why !== null) return { status: 'needs-immutable', reason: why, slow: true };
      }
      let checkMs = 0;
      // The workers' sample of this level, computed again here (model-identity.ts).
      if (results.length > 1) {
        const tc = performance.now();
        const differs = checkSamples(main, levelRef, depth, results.slice(1).flatMap((r) => r.ranges));
        checkMs = performance.now() - tc;
        if (differs !== null) return errorResult(new ModelError({ model: model.name }, differs).message);
      }
      // A level expanded alone ends at the transition past --max-states: the ranges up to it.
      const cutRange = byRange.findIndex((r) => r?.cut !== undefined);
      const rangeCut = cutRange >= 0 ? byRange[cutRange]!.cut : undefined;
      if (cutRange >= 0) byRange = byRange.slice(0, cutRange + 1);
      // The first failure in level order (every range before it was expanded).
      const firstBad = byRange.find((r) => r === undefined || r.error !== undefined || r.notVectorizable !== undefined || r.stopped);
      if (firstBad !== undefined) {
        if (firstBad.notVectorizable !== undefined) return { status: 'needs-immutable', reason: firstBad.notVectorizable };
        if (firstBad.error !== undefined) return errorResult(firstBad.error.message, firstBad.error.stack);
        stopWith(stopRequest.reason ?? 'interrupted');
        transitions += results.reduce((t, r) => t + r.ranges.reduce((u, x) => u + x.transitions, 0), 0);
        if (options.onTransition !== undefined && expandLevel) replayTransitions(main, levelRef, byRange, undefined, options.onTransition);
        break;
      }
      const rangeResults = byRange as RangeResult[];
      nextLevelBytes = rangeResults.reduce((n, r) => n + blockBytes(r.block), 0);
      const tMerge = performance.now();
      let blocks = rangeResults.map((r) => r.block);
      const candidates = blocks.reduce((c, b) => c + b.count, 0);

      let perBlock: number[];
      const insertEvents: WorkerEvent[] = [];
      if (direct) {
        perBlock = blocks.map((b) => b.count);
      } else if (levelClaims !== undefined) {
        // Phase 2: flag the copies that hold their state's final claim.
        const vtask: ValidateTask = { kind: 'validate', claims: levelClaims, tables: parts.map((p) => p.table.ref), blocks, levelStart, counter: new SharedArrayBuffer(4), ...(joinable ? { join: new SharedArrayBuffer(4) } : {}) };
        const othersV: Promise<ValidateResult>[] = [];
        for (let w = 1; w < workers; w++) othersV.push(run<ValidateResult>(vtask));
        const doneV = [validatePhase(vtask), ...fulfilled(await participants(othersV, vtask.join))];
        perBlock = blocks.map(() => 0);
        for (const r of doneV) for (const [bi, n] of r.winners) perBlock[bi] = n;
        blocks = blocks.map((b, k) => ({ ...b, winners: perBlock[k] }));
        // Each state inserted has exactly one copy holding its claim, which put its key back
        // into the seen set: a slot left holding an entry would mislead every later probe.
        const won = perBlock.reduce((a, b) => a + b, 0);
        const inserted = results.reduce((n, r) => n + r.inserted!.reduce((a, b) => a + b, 0), 0);
        if (won !== inserted) throw new Error(`internal error: ${inserted} states inserted with claims at depth ${depth} but ${won} copies hold their claims`);
      } else {
        // Phase 2: each thread inserts its partition's candidates, blocks in order.
        const partMax = tableRoom();
        const insertTask = (p: number): InsertTask => ({
          kind: 'insert',
          source,
          search: searchId,
          part: p,
          table: parts[p].ref,
          maxBytes: partMax,
          blocks,
          invariants: engine === 'vector',
          skip: [...violated],
          strings,
          levelStart,
        });
        const inserts: Promise<InsertResult>[] = [];
        for (let p = 1; p < threads; p++) inserts.push(run<InsertResult>(insertTask(p)));
        // With one thread (partial-order reduction's shared phases alone), it does every partition.
        const own: InsertResult[] = [];
        for (let p = 0; p < (threads === 1 ? workers : 1); p++) own.push(insertPhase(insertTask(p), main));
        // Result k is partition k's.
        const done = [...own, ...(await Promise.all(inserts))];
        done.forEach((r, k) => (parts[k] = GrowingSeenSet.fromRef(r.table)));
        const failed = done.find((r) => r.error !== undefined);
        if (failed !== undefined) return errorResult(failed.error!.message, failed.error!.stack);
        if (done.some((r) => r.overBudget)) {
          limit = 'memory';
          limitReason = budget.reached(memoryTerms(), 'the seen set would grow past the budget');
          break;
        }
        perBlock = blocks.map((_, b) => done.reduce((n, r) => n + r.inserted[b], 0));
        blocks = blocks.map((b, k) => ({ ...b, winners: perBlock[k] }));
        for (const r of done) for (const ev of r.events) insertEvents.push(ev);
      }
      const newStates = perBlock.reduce((a, b) => a + b, 0);
      lastRatio = newStates / levelSize;
      const busy = results.reduce((t, r) => t + (r.busyMs ?? 0), 0);
      // A level of a few states says little (and its first states pay for the JIT).
      if (levelSize >= 256 && busy > 0) stateMs = busy / levelSize;

      // Violations, in the sequential search's order: (position, action), transition before invariant.
      const events: { ev: WorkerEvent; block: number }[] = [];
      rangeResults.forEach((r, b) => r.events.forEach((ev) => events.push({ ev, block: b })));
      for (const ev of insertEvents) events.push({ ev, block: ev.range! });
      events.sort((x, y) => x.ev.pos - y.ev.pos || x.ev.action - y.ev.action || kindOrder(x.ev) - kindOrder(y.ev));
      let stopPos = -1;
      const winner = (block: number, c: number) => blocks[block].winners === blocks[block].count || blocks[block].flags[c] === 1;
      // Global index of a winning candidate, once the level's trace arrays are added.
      const nextStart = levelStart + levelSize;
      const indexOf = (block: number, c: number): number => {
        let idx = nextStart;
        for (let b = 0; b < block; b++) idx += perBlock[b];
        if (blocks[block].winners === blocks[block].count) return idx + c;
        const flags = blocks[block].flags;
        for (let k = 0; k < c; k++) idx += flags[k];
        return idx;
      };
      traces.addLevelFromBlocks(blocks, newStates, levelStart);
      // --max-states N stores at most N states: the transition that finds an (N+1)-th ends the
      // search, as in the sequential search; nothing from it on counts.
      const cut = rangeCut ?? (options.maxStates !== undefined ? cutPoint(blocks, levelStart, options.maxStates - distinct) : undefined);
      // The state graph of a level cut short is never checked (liveness needs every state).
      if (cut === undefined) liveness?.level(blocks, rangeResults);
      for (const { ev, block } of events) {
        if (cut !== undefined && !precedes(ev.pos, ev.action, cut)) continue;
        if (violated.has(ev.property)) continue;
        if (ev.kind === 'invariant' && !winner(block, ev.candidate)) continue;
        if (stopPos >= 0 && ev.pos > stopPos && ev.kind !== 'deadlock') continue;
        const parent = levelStart + ev.pos;
        const trace =
          ev.kind === 'deadlock'
            ? traces.traceTo(model, parent, undefined, ev, keyOf)
            : ev.kind === 'transition'
              ? traces.traceTo(model, parent, ev.action, undefined, keyOf)
              : traces.traceTo(model, indexOf(block, ev.candidate), undefined, ev, keyOf);
        record({ property: ev.property, kind: ev.kind, message: ev.message, trace });
        if (stopAfterLevel && stopPos < 0) stopPos = ev.pos;
      }

      // Figures: the whole level, or (stopped by a violation, which lets its state's
      // expansion finish, or by --max-states) what comes before the point where the
      // sequential search stopped.
      let stop: StopPoint | undefined = stopPos >= 0 ? { pos: stopPos + 1, action: 0 } : undefined;
      if (cut !== undefined && (stop === undefined || precedes(cut.pos, cut.action, stop))) stop = cut;
      let levelTransitions = rangeResults.reduce((t, r) => t + r.transitions, 0);
      let levelNew = newStates;
      if (stop !== undefined) {
        levelTransitions = expandLevel ? transitionsBefore(rangeResults, levelRef, stop) : 0;
        levelNew = 0;
        for (let b = 0; b < blocks.length; b++) {
          const { parents, actions } = blocks[b];
          for (let k = 0; k < blocks[b].count; k++) if (winner(b, k) && precedes(parents[k] - levelStart, actions[k], stop)) levelNew++;
        }
      }
      transitions += levelTransitions;
      if (options.onTransition !== undefined && expandLevel) replayTransitions(main, levelRef, rangeResults, stop, options.onTransition);
      // States stored past the stopping point are not counted: the sequential search never made them.
      distinct += levelNew;
      // At the depth bound, a state with successors before the stopping point means unexplored states.
      if (!expandLevel && rangeResults.some((r, t) => r.actionCounts.some((c, k) => c > 0 && (stop === undefined || rangeBounds(levelRef, t).from + k < stop.pos)))) {
        limit = 'max-depth';
        limitReason = `max depth ${options.maxDepth} reached`;
        break;
      }
      if (levelNew > 0) depth++;
      if (cut !== undefined) {
        limit = 'max-states';
        limitReason = `max states ${options.maxStates} reached`;
      }
      if (limit === undefined && !stopAfterLevel && stopRequest.reason !== undefined) stopWith(stopRequest.reason);
      if (limit === undefined && !stopAfterLevel) {
        // The next level needs this one's blocks and its own: stop now if what is resident
        // already crosses the threshold, or if this thread's JS heap nears V8's limit (which
        // would end the process, whatever the budget).
        const heap = getHeapStatistics().used_heap_size;
        if (!budget.fits()) {
          limit = 'memory';
          limitReason = budget.reached(memoryTerms());
        } else if (heap > heapLimit * 0.85) {
          limit = 'memory';
          limitReason = `memory budget reached: this thread's JS heap is at ${mib(heap)} of its ${mib(heapLimit)} MiB limit (node --max-old-space-size raises it)`;
        }
      }
      options.live?.publish(distinct, transitions, depth);
      options.onLevel?.({
        depth,
        states: levelSize,
        threads: results.length,
        claims: levelClaims !== undefined,
        attempts,
        growMs,
        expandMs: tMerge - tLevel - growMs,
        settleMs: performance.now() - tMerge,
        checkMs,
        busyMs: results.map((r) => r.busyMs ?? 0),
        expanded: results.map((r) => r.ranges.reduce((n, x) => n + x.actionCounts.length, 0)),
        candidates,
        newStates,
      });
      levelStart = nextStart;
      levelSize = newStates;
      level = blocks;
    }
    // Every state expanded: the liveness check on the recorded graph.
    if (liveness !== undefined && limit === undefined && !stopAfterLevel) {
      const lv = liveness.check(model, traces, keyOf);
      livenessStats = lv.stats;
      for (const v of lv.violations) record(v);
    }
  } catch (e) {
    if (e instanceof TableBudgetError) {
      limit = 'memory';
      limitReason = budget.reached(memoryTerms(), e.message);
    } else {
      // piscina rejects with "worker exited with code: N" or a memory-limit error when a
      // worker thread dies (out of memory, or model code ended it past the exit guard).
      const text = errorText(e);
      const died = /worker exited with code|reaching memory limit|ERR_WORKER_OUT_OF_MEMORY/i.test(text)
        ? `a worker thread died (${text.replace(/^Error: /, '')}): it may have run out of memory, or model code ended it; run with --workers 1 to see the step`
        : text;
      const err = e instanceof ModelError ? e : new ModelError({ model: model.name }, died, { cause: e });
      return errorResult(err.message, ((err.cause as Error | undefined) ?? err).stack);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (timer !== undefined) clearTimeout(timer);
    if (progress !== undefined) clearInterval(progress);
    destroyed = true;
    Atomics.store(warmControl, WARM_STOP, 1);
    if (ownPool && pool !== undefined) await pool.destroy();
  }

  // After a liveness check every property was checked (a safety violation would have stopped
  // the search before it, unless --all-properties): every violation found is reported.
  const result = finalResult(model.name, stats(), propertyNames, violations, limit, limitReason, (options.allProperties ?? false) || livenessStats !== undefined);
  // A liveness verdict needs every state: a run cut short by a limit checks none.
  if (liveness === undefined || limit === undefined) return result;
  return withUnchecked(result, liveness.plan.properties.map((p) => ({ property: p.name, reason: 'needs every state, and the search stopped before' })));
}

/**
 * How the other threads' tasks of a phase ended, once this thread has done its part. For a
 * joinable phase (protocol.ts Joinable) it is closed first, and only the threads that joined
 * are waited for (a task that starts later does nothing).
 */
function participants<R extends { readonly late?: boolean }>(tasks: readonly Promise<R>[], join: SharedArrayBuffer | undefined): Promise<PromiseSettledResult<R>[]> {
  if (join === undefined) return Promise.allSettled(tasks);
  const joined = closeJoin(join);
  if (joined === 0) return Promise.resolve([]);
  return new Promise((resolve) => {
    const done: PromiseSettledResult<R>[] = [];
    const add = (r: PromiseSettledResult<R>) => {
      if (done.length === joined) return;
      done.push(r);
      if (done.length === joined) resolve(done);
    };
    for (const t of tasks) {
      t.then(
        (value) => {
          if (value.late !== true) add({ status: 'fulfilled', value });
        },
        // A thread that died: the search ends with it (whether or not it had joined).
        (reason: unknown) => add({ status: 'rejected', reason }),
      );
    }
  });
}

/** The values of settled tasks; the first failure is thrown. */
function fulfilled<R>(settled: readonly PromiseSettledResult<R>[]): R[] {
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  return settled.map((r) => (r as PromiseFulfilledResult<R>).value);
}

/** Keeps each thread's latest memo figures (vector engine). */
function memoOf(main: Loaded, results: readonly ExpandResult[], into: Map<number, MemoStats>): void {
  if (main.vector === undefined) return;
  into.set(threadId, main.vector.memoStats());
  for (const r of results) if (r.memo !== undefined) into.set(r.thread, r.memo);
}

function sumMemo(m: Map<number, MemoStats>): MemoStats {
  let hits = 0;
  let kept = 0;
  let misses = 0;
  let nodes = 0;
  let flushes = 0;
  for (const x of m.values()) {
    hits += x.hits;
    kept += x.kept;
    misses += x.misses;
    nodes += x.nodes;
    flushes += x.flushes;
  }
  return { hits, kept, misses, nodes, flushes };
}

/** True when (pos, action) comes before `p` in the level's order. */
function precedes(pos: number, action: number, p: StopPoint): boolean {
  return pos < p.pos || (pos === p.pos && action < p.action);
}

/**
 * The (position, action) that found the level's new state number `room + 1` (in canonical
 * order: blocks in order, winners in order), or undefined when the level has no more than
 * `room` new states.
 */
function cutPoint(blocks: readonly CandidateBlock[], levelStart: number, room: number): StopPoint | undefined {
  let n = 0;
  for (const b of blocks) {
    const all = b.winners === b.count;
    if (all && n + b.count <= room) {
      n += b.count;
      continue;
    }
    for (let k = 0; k < b.count; k++) {
      if (!all && b.flags[k] !== 1) continue;
      if (++n > room) return { pos: b.parents[k] - levelStart, action: b.actions[k] };
    }
  }
  return undefined;
}

/**
 * Transitions the level's ranges took before `stop`: every transition of the positions
 * before it, and those of its position with a smaller action index (all of them up to it, or,
 * where partial-order reduction took a subset, the subset's).
 */
function transitionsBefore(ranges: readonly RangeResult[], level: LevelRef, stop: StopPoint): number {
  let n = 0;
  for (let t = 0; t < ranges.length; t++) {
    const { from } = rangeBounds(level, t);
    const counts = ranges[t].actionCounts;
    for (let k = 0; k < counts.length && from + k < stop.pos; k++) n += counts[k];
    if (stop.action > 0 && from <= stop.pos && stop.pos < from + counts.length) {
      const subset = ranges[t].subsets?.get(stop.pos);
      n += subset !== undefined ? subset.filter((i) => i < stop.action).length : Math.min(stop.action, counts[stop.pos - from]);
    }
  }
  return n;
}

function kindOrder(ev: WorkerEvent): number {
  return ev.kind === 'invariant' ? 1 : 0;
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
