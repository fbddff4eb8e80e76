// What the phases of one level-synchronous search share: the model as this thread holds it,
// the seen set's partitions, the trace, the level being searched, the figures so far, the
// violations found and why the search stopped — and the result made of them.
import { threadId } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import type { Model } from '../model/model.ts';
import type { StateCodec } from '../state/codec.ts';
import type { MemoStats } from '../model/vector.ts';
import { peakRss } from '../explore/search-options.ts';
import type { CheckResult, CheckStats, Limit, LivenessStats, Violation } from '../explore/result.ts';
import { collisionProbability, finalResult } from '../explore/result.ts';
import { NotVectorizableError } from '../state/layout.ts';
import { LivenessRecorder } from '../explore/liveness/recorder.ts';
import { StopRequest, stopText, type StopReason } from '../explore/stop-request.ts';
import { memoryAtStart, searchTerms, type MemoryBudget, type MemoryTerm } from '../explore/memory-budget.ts';
import { MemoPayoff } from '../explore/memo-payoff.ts';
import type { ClaimsRef } from './level-claims.ts';
import type { ParallelOptions } from './level-options.ts';
import type { Loaded } from './loaded.ts';
import { modelIdentity } from './model-identity.ts';
import type { CandidateBlock, Engine, ExpandResult, ModelSource } from './protocol.ts';
import { GrowingSeenSet, KEY_BITS } from './shared-seen-set.ts';
import { TraceStore } from './trace-store.ts';
import { seenStorage, type SeenStorage } from './seen-storage.ts';
import type { CheckpointStats } from './checkpoint-choice.ts';

let searches = 0;

/** Where a violation was found, to rebuild its trace (TraceStore.traceTo's arguments): the state's global index, the action taken out of it (a transition property), the key the last state must have. */
export interface ViolationAt {
  readonly index: number;
  readonly extraAction?: number;
  readonly last?: { readonly hi: number; readonly lo: number };
}

/** One search's shared state (see the file header); the phases read and update its fields. */
export class SearchState {
  readonly t0 = performance.now();
  readonly heapLimit = getHeapStatistics().heap_size_limit;
  /** What resident memory the process had before the search (memory-budget.ts). */
  readonly atStart = memoryAtStart();
  readonly propertyNames: string[];
  readonly violations: Violation[] = [];
  /** Where each violation was found (undefined for liveness's), for a checkpoint. */
  readonly violationsAt: (ViolationAt | undefined)[] = [];
  /** The checkpoints' figures (search-checkpoint.ts), reported with the result. */
  checkpointStats?: () => CheckpointStats;
  readonly violated = new Set<string>();
  /** Vector engine: the strings any thread gave a hashed code (each thread learns them all). */
  strings: string[] = [];
  /** Immutable engine: the Record descriptors any thread met (each thread learns them all). */
  descriptors: string[] = [];
  readonly traces: TraceStore;
  /** The seen set's archive past memory (--storage disk | bitstate: seen-storage.ts); none in memory alone. */
  readonly storage?: SeenStorage;
  readonly liveness?: LivenessRecorder;
  livenessStats?: LivenessStats;
  /**
   * The seen set, in one partition per thread (by key): a thread inserts only into its own,
   * so the insert phase needs no atomics; a level expanded alone inserts into all of them.
   */
  parts: GrowingSeenSet[];
  /** Levels and slices expanded so far (a thread reuses the blocks it made two expansions before: ExpandTask.expansion). */
  expansions = 0;
  /** Bytes of candidate blocks a state expanded made, at the last level or slice (sizes the slices of a level past memory). */
  candidateBytesPerState = 0;
  /** Frontier blocks held: the level before (its blocks are reused two levels on), this level, and the next. */
  olderLevelBytes = 0;
  levelBytes = 0;
  nextLevelBytes = 0;
  /** The JS heaps of the pool's threads, as they last reported them. */
  readonly workerHeaps = new Map<number, number>();
  /** The claim entries of the level under way (for memoryTerms). */
  claimsHeld?: ClaimsRef;
  /** The claim entries, reused from level to level while large enough. */
  claimsBuffer?: ClaimsRef;
  /** Set once a level had a state with more steps than a claim can number (256). */
  claimsTooNarrow = false;
  /** New states per state of the last level (sizes a level's claims). */
  lastRatio = 2;
  /**
   * One thread's time a state at the last level of a few hundred states or more (ms; 0
   * before one): it sizes the shortest ranges and says which levels are worth joining.
   */
  stateMs = 0;
  distinct = 0;
  transitions = 0;
  depth = 0;
  peakFrontier = 0;
  peakFrontierBytes = 0;
  frontierBytesPerState = 0;
  limit?: Limit;
  limitReason = '';
  /** A violation was found (without --all-properties): the search ends with this level. */
  stopAfterLevel = false;
  /** The level being searched: its blocks, the global index of its first state, its size. */
  level: CandidateBlock[] = [];
  levelStart = 0;
  levelSize = 0;
  /** Each thread's latest memo figures (vector engine). */
  readonly memo = new Map<number, MemoStats>();
  /** Whether the vector engine pays (--engine auto), judged on the states expanded so far. */
  readonly payoff?: MemoPayoff;
  statesExpanded = 0;
  /** Read by every search thread before each state (stop-request.ts). */
  readonly stopRequest: StopRequest;
  /** Tells this search's levels from another's on a shared pool. */
  readonly searchId = `${process.pid}.${++searches}.${Math.random().toString(36).slice(2)}`;

  constructor(
    readonly model: Model<unknown, unknown>,
    readonly main: Loaded,
    /** Where worker threads find the model; it gains the invariants' reads and the model's identity. */
    public source: ModelSource,
    readonly options: ParallelOptions,
    readonly engine: Engine,
    readonly workers: number,
    readonly budget: MemoryBudget,
  ) {
    this.propertyNames = model.properties.map((p) => p.name);
    this.liveness = options.livenessPlan !== undefined ? new LivenessRecorder(options.livenessPlan) : undefined;
    this.parts = Array.from({ length: workers }, () => new GrowingSeenSet(1024));
    this.storage = seenStorage(options.storage, budget.budgetBytes);
    this.traces = new TraceStore(this.storage?.traceFile);
    this.payoff = engine === 'vector' && options.fallBackWhenSlow === true ? new MemoPayoff() : undefined;
    this.stopRequest = options.stop ?? new StopRequest();
    if (main.vector !== undefined) {
      // One record of the slots invariants read, for every thread (see Successors.touches).
      const invariantReads = new SharedArrayBuffer(main.vector.invariantReadsBytes);
      main.vector.shareInvariantReads(invariantReads);
      this.source = { ...source, invariantReads };
    }
  }

  /**
   * Immutable values: the codec that moves a level's states between blocks (compactLevel,
   * levelBlocks), having learned every Record type the threads met; vectors need none.
   */
  levelCodec(): StateCodec | undefined {
    if (this.engine !== 'immutable') return undefined;
    this.main.codec.learnDescriptors(this.descriptors);
    return this.main.codec;
  }

  /** The seen-set key of a state (its fingerprint, or its symmetry representative's). */
  get keyOf(): (state: unknown, out: Uint32Array) => void {
    return this.main.keyOf;
  }

  seenBytes(): number {
    return this.parts.reduce((b, p) => b + p.bytes, 0);
  }

  /** The bytes a seen-set partition may grow to now: its share of the room left under the memory budget (a table and its successor coexist while it grows). */
  tableRoom(): number {
    return Math.max(0, (this.budget.stopAtBytes - this.budget.resident()) / this.workers);
  }

  /** Where the memory went, for a stop for memory (the rest of the resident memory is the remainder). */
  memoryTerms(): MemoryTerm[] {
    return searchTerms(
      this.atStart,
      [
        { name: 'seen set', bytes: this.seenBytes() },
        ...(this.storage !== undefined ? [{ name: 'seen set archive', bytes: this.storage.bytes }] : []),
        { name: 'trace', bytes: this.traces.bytes },
        { name: 'frontier', bytes: this.olderLevelBytes + this.levelBytes + this.nextLevelBytes },
        { name: 'claims', bytes: this.claimsHeld?.entries.byteLength ?? 0 },
        { name: 'state graph (liveness)', bytes: this.liveness?.bytes ?? 0 },
      ],
      [...this.workerHeaps.values()],
    );
  }

  /**
   * What a worker's model must be before it joins (model-identity.ts), computed when the
   * first worker may start: by then the search has expanded the initial states here, so the
   * model code it runs has run before (a search on this thread alone never runs it).
   * Returns why the vector engine cannot go on, if computing it met that.
   */
  identify(): string | undefined {
    if (this.source.identity !== undefined) return undefined;
    try {
      this.source = { ...this.source, identity: modelIdentity(this.main) };
    } catch (e) {
      // A successor of an initial state without a fixed layout: the search meets it too.
      if (e instanceof NotVectorizableError) return e.message;
      // Model code that fails here (a step or property erring on an initial state) fails in
      // the search too: no identity, so this thread searches alone and meets the error in the
      // search's own order, the one a run on any other thread count reports (a model with two
      // mistakes used to report the second with a pool ready at level 0).
    }
    return undefined;
  }

  /** Adds a violation; without --all-properties (--continue) the search ends with this level. */
  record(v: Violation, at?: ViolationAt): void {
    this.violated.add(v.property);
    this.violations.push(v);
    this.violationsAt.push(at);
    if (!this.options.allProperties) this.stopAfterLevel = true;
  }

  /** Ends the search for a limit or a stop request, with the line that says why. */
  stopWith(reason: StopReason | 'max-depth' | 'max-states', why?: string): void {
    this.limit = reason;
    this.limitReason = why ?? stopText(reason as StopReason, this.options.timeLimitMs, () => this.budget.reached(this.memoryTerms()));
  }

  /** Keeps each thread's latest memo figures (vector engine). */
  noteMemo(results: readonly ExpandResult[]): void {
    if (this.main.vector === undefined) return;
    this.memo.set(threadId, this.main.vector.memoStats());
    for (const r of results) if (r.memo !== undefined) this.memo.set(r.thread, r.memo);
  }

  stats(): CheckStats {
    const elapsedMs = performance.now() - this.t0;
    const { distinct, engine, strings } = this;
    return {
      distinctStates: distinct,
      transitions: this.transitions,
      depth: this.depth,
      elapsedMs,
      statesPerSecond: elapsedMs > 0 ? (distinct * 1000) / elapsedMs : 0,
      peakMemoryBytes: peakRss(),
      seenSetBytesPerState: distinct > 0 ? (this.seenBytes() + (this.storage?.bytes ?? 0) + this.traces.bytes) / distinct : 0,
      peakFrontier: this.peakFrontier,
      collisionProbability: collisionProbability(distinct, KEY_BITS),
      fingerprintBits: KEY_BITS,
      workers: this.workers,
      frontierBytesPerState: this.frontierBytesPerState,
      engine,
      ...(engine === 'vector' ? { memo: sumMemo(this.memo), ...(strings.length > 0 ? { hashedStrings: [...strings] } : {}) } : {}),
      ...(this.livenessStats !== undefined ? { liveness: this.livenessStats } : {}),
      ...(this.storage !== undefined ? { storage: this.storage.stats() } : {}),
      ...(this.checkpointStats !== undefined ? { checkpoint: this.checkpointStats() } : {}),
    };
  }

  errorResult(message: string, stack?: string): CheckResult {
    return { status: 'error', model: this.model.name, stats: this.stats(), error: { message, stack } };
  }

  /** The result so far, for a stop the watchdog reports (LiveSearch.partial). */
  partialResult(reason: StopReason, note: string): CheckResult {
    const why = stopText(reason, this.options.timeLimitMs, () => this.budget.reached(this.memoryTerms()));
    return finalResult(this.model.name, this.stats(), this.propertyNames, [...this.violations], reason, `${why}; ${note}`, this.options.allProperties ?? false);
  }
}

/** The memo figures of every thread, added up. */
export function sumMemo(m: ReadonlyMap<number, MemoStats>): MemoStats {
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
