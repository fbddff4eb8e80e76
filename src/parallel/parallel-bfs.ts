// Parallel breadth-first search on piscina worker threads, with the same answer for any
// number of workers.
//
// Level-synchronous, in two phases per level:
//  1. expand — each worker takes a contiguous range of the level's positions, decodes those
//     states from the shared frontier blocks, generates successors in (position, action)
//     order, checks properties, and keeps as *candidates* the successors that are not in the
//     shared seen set (read-only in this phase) and not already among its own candidates.
//     Candidates are encoded (StateCodec) into SharedArrayBuffers with their fingerprint,
//     parent index and action index.
//  2. merge — worker p inserts, with compare-and-exchange, the candidates whose fingerprint
//     falls in partition p, visiting the tasks' blocks in range order. So for every new
//     state the first candidate in (position, action) order wins — the parent a sequential
//     BFS would record — whatever the thread timing: within a partition insertion is
//     sequential, and partitions never share a fingerprint.
// The next level is the winners, block by block: exactly the sequential BFS order. Property
// violations are reported by the workers with their (position, action) and replayed here in
// that order through the sequential search's rules (first violation, rest of the level for
// deadlocks, shortest first), so verdicts, figures and counterexamples equal those of bfs.ts.
//
// A run bounded by --max-states stops where the sequential search would (the figures are
// cut at that position of the level). Known limit: a run stopped by --time-limit, --memory
// or Ctrl-C stops at a level (or range) boundary, so its figures can differ from the
// sequential search's — they depend on timing anyway.
import { availableParallelism } from 'node:os';
import { withExitGuard } from '../explore/exit-guard.ts';
import { getHeapStatistics } from 'node:v8';
import { Piscina } from 'piscina';
import { propertiesByKind, type Model } from '../model/model.ts';
import { ModelError, errorText } from '../model/errors.ts';
import type { SearchOptions } from '../explore/bfs.ts';
import { peakRss } from '../explore/bfs.ts';
import type { CheckResult, CheckStats, Limit, Violation } from '../explore/result.ts';
import { collisionProbability, finalResult } from '../explore/result.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import { ByteSink, StateCodec } from '../state/codec.ts';
import { validateState } from '../state/validate.ts';
import { CONTROL_STOP, type CandidateBlock, type ExpandResult, type ExpandTask, type MergeResult, type ModelSource, type Task, type WorkerEvent } from './protocol.ts';
import { SharedSeenSet } from './shared-seen-set.ts';
import { runTask } from './worker.ts';
import { ROOT, TraceStore } from './trace-store.ts';

/** Options of the parallel search. */
export interface ParallelOptions extends SearchOptions {
  /** Worker threads (default: the number of cores). */
  readonly workers?: number;
  /**
   * A pool made by `createWorkerPool` to reuse across searches (tests run many small
   * searches); it is left open, and every level runs on it. Default: a pool of `workers`
   * threads for this search, started only when a level grows large (small levels are
   * expanded in this thread).
   */
  readonly pool?: Piscina;
}

/** A pool of `workers` search threads (each imports the tsx loader, then the worker tasks). */
export function createWorkerPool(workers: number): Piscina {
  return new Piscina({
    filename: new URL('./worker-entry.mjs', import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 60_000,
    // One task at a time per thread: the phases of a level are barriers anyway.
    concurrentTasksPerWorker: 1,
  });
}

/**
 * Levels smaller than this are expanded in this thread (same tasks, same answer) until the
 * threads have run one, so a small model never pays for starting worker threads; the pool is
 * started, and imports the model, in the background once a level reaches an eighth of it.
 */
const INLINE_LEVEL = 4096;

/**
 * Ranges per worker thread in a level: a thread that finishes early takes the next range
 * instead of idling at the level's end. More ranges cost no duplicate candidates, since a
 * thread keeps its candidate set across its ranges of a level.
 */
const TASKS_PER_WORKER = 6;

let searches = 0;

/** Highest load of the seen set; it then grows by at least 1.5× (linear probing copes with 0.85). */
const MAX_LOAD = 0.85;


/**
 * Explores every reachable state of the model in `source` breadth-first on worker threads.
 * `model` must be the same model built in this thread (for initial states and traces).
 *
 * @example
 *   const r = await parallelBfs(model, { file: '/abs/models/drivers/kvm.ts', params: { faults: 2 } }, { workers: 2 });
 */
export async function parallelBfs<S, A>(model: Model<S, A>, source: ModelSource, options: ParallelOptions = {}): Promise<CheckResult> {
  // Small levels are expanded in this thread: guard process.exit there as the sequential search does.
  return withExitGuard(() => parallelBfsUnguarded(model, source, options));
}

async function parallelBfsUnguarded<S, A>(model: Model<S, A>, source: ModelSource, options: ParallelOptions): Promise<CheckResult> {
  const t0 = performance.now();
  const workers = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
  const heapLimit = getHeapStatistics().heap_size_limit;
  const memoryBytes = options.memoryBytes ?? Math.floor(heapLimit * 0.8) + 8 * 2 ** 30;
  const { invariants } = propertiesByKind(model);
  // With --symmetry the table holds representatives' fingerprints; workers build the same key.
  const keyOf: (s: S, out: Uint32Array) => void = options.reduction?.key ?? fingerprintInto;
  const propertyNames = model.properties.map((p) => p.name);
  const violations: Violation[] = [];
  const violated = new Set<string>();
  const traces = new TraceStore();
  const codec = new StateCodec();
  let table = new SharedSeenSet(1024);
  let distinct = 0;
  let transitions = 0;
  let depth = 0;
  let peakFrontier = 0;
  let peakFrontierBytes = 0;
  let frontierBytesPerState = 0;
  let limit: Limit | undefined;
  let limitReason = '';
  let stopAfterLevel = false;
  const control = new SharedArrayBuffer(8);
  // Tells this search's levels from another's on a shared pool.
  const searchId = `${process.pid}.${++searches}.${Math.random().toString(36).slice(2)}`;
  const controlWords = new Int32Array(control);

  const stats = (): CheckStats => {
    const elapsedMs = performance.now() - t0;
    return {
      distinctStates: distinct,
      transitions,
      depth,
      elapsedMs,
      statesPerSecond: elapsedMs > 0 ? (distinct * 1000) / elapsedMs : 0,
      peakMemoryBytes: peakRss(),
      seenSetBytesPerState: distinct > 0 ? (table.bytes + traces.bytes) / distinct : 0,
      peakFrontier,
      collisionProbability: collisionProbability(distinct),
      workers,
      frontierBytesPerState,
    };
  };
  const errorResult = (message: string, stack?: string): CheckResult => ({ status: 'error', model: model.name, stats: stats(), error: { message, stack } });

  const record = (v: Violation) => {
    violated.add(v.property);
    violations.push(v);
    if (!options.allProperties || violated.size === model.properties.length) stopAfterLevel = true;
  };

  // Level 0: the initial states, checked and encoded here.
  let level: CandidateBlock[];
  try {
    const inits = model.initStates();
    const sink = new ByteSink(1 << 12);
    const offsets: number[] = [];
    const fpWords: number[] = [];
    const parents: number[] = [];
    const actions: number[] = [];
    const fp = new Uint32Array(2);
    for (let i = 0; i < inits.length; i++) {
      const s = inits[i];
      validateState(s);
      codec.learnFrom(s);
      keyOf(s, fp);
      if (parents.length + 1 > table.capacity * MAX_LOAD) table = table.rehash(Math.ceil(table.capacity * 1.5));
      if (!table.insert(fp[0], fp[1])) continue;
      offsets.push(codec.encode(s, sink));
      fpWords.push(fp[0], fp[1]);
      parents.push(ROOT);
      actions.push(i);
    }
    offsets.push(sink.length);
    const n = parents.length;
    traces.addLevel(Uint32Array.from(parents), Uint16Array.from(actions));
    distinct = n;
    const block = sharedBlock(n, fpWords, parents, actions, offsets, sink);
    new Uint8Array(block.flags).fill(1);
    level = [block];
    // Invariants of the initial states, in order (as bfs.ts does).
    let k = 0;
    for (let i = 0; i < inits.length && k < n; i++) {
      if (actions[k] !== i) continue;
      for (const inv of invariants) {
        if (violated.has(inv.name)) continue;
        const msg = inv.check(inits[i]);
        if (msg !== null) record({ property: inv.name, kind: 'invariant', message: msg, trace: traces.traceTo(model, k, undefined, undefined, keyOf) });
      }
      k++;
    }
  } catch (e) {
    return errorResult(`the initial state: ${errorText(e)}`, (e as Error)?.stack);
  }

  let pool = options.pool;
  const ownPool = options.pool === undefined;
  const ensurePool = (): Piscina => {
    if (pool === undefined) {
      pool = createWorkerPool(workers);
      // Each thread imports the model while this thread still expands the small levels.
      for (let w = 0; w < workers; w++) void pool.run({ kind: 'warm', source } satisfies Task).catch(() => undefined);
    }
    return pool;
  };
  let inline = false;
  let poolUsed = false;
  const run = <R>(task: Task): Promise<R> => (inline ? (runTask(task) as Promise<R>) : (ensurePool().run(task) as Promise<R>));
  const descriptors: string[] = codec.takeNewDescriptors();
  const onAbort = () => Atomics.store(controlWords, CONTROL_STOP, 1);
  options.signal?.addEventListener('abort', onAbort);
  const timer = options.timeLimitMs !== undefined && Number.isFinite(options.timeLimitMs) ? setTimeout(onAbort, Math.max(0, options.timeLimitMs - (performance.now() - t0))) : undefined;
  const progressEvery = options.progressIntervalMs ?? 5000;
  let levelSize = distinct;
  const progress =
    options.onProgress !== undefined
      ? setInterval(() => {
          const elapsedMs = performance.now() - t0;
          options.onProgress!({ elapsedMs, distinctStates: distinct, transitions, depth, frontier: levelSize, statesPerSecond: (distinct * 1000) / elapsedMs });
        }, progressEvery)
      : undefined;

  try {
    let levelStart = 0;
    while (levelSize > 0 && !stopAfterLevel && limit === undefined) {
      peakFrontier = Math.max(peakFrontier, levelSize);
      const levelBytes = level.reduce((b, x) => b + blockBytes(x), 0);
      if (levelBytes > peakFrontierBytes) {
        peakFrontierBytes = levelBytes;
        frontierBytesPerState = levelBytes / level.reduce((c, x) => c + x.count, 0);
      }
      const expandLevel = !(options.maxDepth !== undefined && depth >= options.maxDepth);
      // Once the threads have run a level, the shrinking tail of the search stays on them.
      inline = ownPool && levelSize < INLINE_LEVEL && !poolUsed;
      poolUsed ||= !inline;
      if (ownPool && levelSize >= INLINE_LEVEL / 8) ensurePool();
      // Phase 1: expand.
      // Several ranges per worker on thread-run levels, so a thread that finishes early takes
      // the next range instead of idling at the end of the phase (ranges stay in order, so
      // the answer does not change).
      const tasks = Math.min(levelSize, inline ? workers : workers * TASKS_PER_WORKER);
      const expandTasks: Promise<ExpandResult>[] = [];
      for (let t = 0; t < tasks; t++) {
        const task: ExpandTask = {
          kind: 'expand',
          source,
          descriptors,
          table: table.buffer,
          segments: level,
          from: Math.floor((levelSize * t) / tasks),
          to: Math.floor((levelSize * (t + 1)) / tasks),
          levelStart,
          levelId: `${searchId}:${levelStart}`,
          expand: expandLevel,
          skip: [...violated],
          control,
        };
        expandTasks.push(run<ExpandResult>(task));
      }
      const results = await Promise.all(expandTasks);
      const failed = results.filter((r) => r.error !== undefined).sort((a, b) => a.error!.pos - b.error!.pos)[0];
      if (failed !== undefined) return errorResult(failed.error!.message, failed.error!.stack);
      for (const r of results) for (const d of r.descriptors) if (!descriptors.includes(d)) descriptors.push(d);
      if (results.some((r) => r.stopped)) {
        limit = options.signal?.aborted ? 'interrupted' : 'time-limit';
        limitReason = limit === 'interrupted' ? 'interrupted' : `time limit of ${((options.timeLimitMs ?? 0) / 1000).toFixed(1)} s reached`;
        transitions += results.reduce((t, r) => t + r.transitions, 0);
        break;
      }
      const blocks = results.map((r) => r.block);
      const candidates = blocks.reduce((c, b) => c + b.count, 0);

      // Room for every candidate before the merge (the table does not grow under the workers).
      const need = distinct + candidates;
      if (need > table.capacity * MAX_LOAD) {
        const cap = Math.max(Math.ceil(need / MAX_LOAD), Math.ceil(table.capacity * 1.5));
        const frontierBytes = levelBytes + blocks.reduce((b, x) => b + blockBytes(x), 0);
        if (cap * 8 + table.bytes + traces.bytes + frontierBytes > memoryBytes) {
          limit = 'memory';
          limitReason = `memory budget reached (seen set of ${mib(cap * 8)} MiB needed, ${mib(traces.bytes)} MiB of traces, ${mib(frontierBytes)} MiB of frontier; budget ${mib(memoryBytes)} MiB)`;
          break;
        }
        table = table.rehash(cap);
      }

      // Phase 2: merge, partitioned by fingerprint.
      const parts = workers;
      const merges: Promise<MergeResult>[] = [];
      for (let p = 0; p < parts; p++) merges.push(run<MergeResult>({ kind: 'merge', table: table.buffer, part: p, parts, blocks }));
      const merged = await Promise.all(merges);
      const perBlock = blocks.map((_, b) => merged.reduce((n, m) => n + m.inserted[b], 0));
      const newStates = perBlock.reduce((a, b) => a + b, 0);

      // Violations, in the sequential search's order: (position, action), transition before invariant.
      const events: { ev: WorkerEvent; block: number }[] = [];
      results.forEach((r, b) => r.events.forEach((ev) => events.push({ ev, block: b })));
      events.sort((x, y) => x.ev.pos - y.ev.pos || x.ev.action - y.ev.action || kindOrder(x.ev) - kindOrder(y.ev));
      let stopPos = -1;
      const winner = (block: number, c: number) => new Uint8Array(blocks[block].flags)[c] === 1;
      // Global index of a winning candidate, once the level's trace arrays are added.
      const nextStart = levelStart + levelSize;
      const indexOf = (block: number, c: number): number => {
        let idx = nextStart;
        for (let b = 0; b < block; b++) idx += perBlock[b];
        const flags = new Uint8Array(blocks[block].flags);
        for (let k = 0; k < c; k++) idx += flags[k];
        return idx;
      };
      addLevelTraces(traces, blocks, newStates);
      // --max-states: the sequential search stops after expanding the state whose successor
      // reached the bound; nothing found after that position counts.
      const capPos = options.maxStates !== undefined ? boundPosition(blocks, levelStart, options.maxStates - distinct) : -1;
      for (const { ev, block } of events) {
        if (capPos >= 0 && ev.pos > capPos) continue;
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

      // Figures: the whole level, or (stopped by a violation or --max-states) up to the
      // position where the sequential search would have stopped expanding.
      if (capPos >= 0 && (stopPos < 0 || capPos < stopPos)) stopPos = capPos;
      let levelTransitions = results.reduce((t, r) => t + r.transitions, 0);
      let levelNew = newStates;
      if (stopPos >= 0) {
        levelTransitions = 0;
        const tasksN = results.length;
        for (let t = 0; t < tasksN; t++) {
          const from = Math.floor((levelSize * t) / tasksN);
          const counts = results[t].actionCounts;
          for (let k = 0; k < counts.length && from + k <= stopPos; k++) levelTransitions += expandLevel ? counts[k] : 0;
        }
        levelNew = 0;
        for (let b = 0; b < blocks.length; b++) {
          const flags = new Uint8Array(blocks[b].flags);
          const par = new Uint32Array(blocks[b].parents);
          for (let k = 0; k < blocks[b].count; k++) if (flags[k] === 1 && par[k] - levelStart <= stopPos) levelNew++;
        }
      }
      transitions += levelTransitions;
      distinct += levelNew;
      // At the depth bound, a state with successors before the stopping point means unexplored states.
      if (!expandLevel && results.some((r, t) => r.actionCounts.some((c, k) => c > 0 && (stopPos < 0 || Math.floor((levelSize * t) / results.length) + k < stopPos)))) {
        limit = 'max-depth';
        limitReason = `max depth ${options.maxDepth} reached`;
        break;
      }
      if (levelNew > 0) depth++;
      if (options.maxStates !== undefined && distinct >= options.maxStates) {
        limit = 'max-states';
        limitReason = `max states ${options.maxStates} reached`;
      }
      if (limit === undefined && !stopAfterLevel && options.signal?.aborted) {
        limit = 'interrupted';
        limitReason = 'interrupted';
      }
      levelStart = nextStart;
      levelSize = newStates;
      level = blocks;
    }
  } catch (e) {
    // piscina rejects with "worker exited with code: N" when a worker thread dies (a step
    // called process.exit, or the worker ran out of memory): say what that means.
    const text = errorText(e);
    const died = /worker exited with code/i.test(text)
      ? `a worker thread died (${text.replace(/^Error: /, '')}): a step may have called process.exit, or the worker ran out of memory; run with --workers 1 to see the step`
      : text;
    const err = e instanceof ModelError ? e : new ModelError({ model: model.name }, died, { cause: e });
    return errorResult(err.message, ((err.cause as Error | undefined) ?? err).stack);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (timer !== undefined) clearTimeout(timer);
    if (progress !== undefined) clearInterval(progress);
    if (ownPool && pool !== undefined) await pool.destroy();
  }

  return finalResult(model.name, stats(), propertyNames, violations, limit, limitReason, options.allProperties ?? false);
}

/**
 * The level position whose expansion brings the level's new states to `room` (in canonical
 * order: blocks in order, winners in order), or -1 when the level stays below it.
 */
function boundPosition(blocks: readonly CandidateBlock[], levelStart: number, room: number): number {
  let n = 0;
  for (const b of blocks) {
    const flags = new Uint8Array(b.flags);
    const par = new Uint32Array(b.parents);
    for (let k = 0; k < b.count; k++) {
      if (flags[k] !== 1) continue;
      if (++n >= room) return par[k] - levelStart;
    }
  }
  return -1;
}

function kindOrder(ev: WorkerEvent): number {
  return ev.kind === 'invariant' ? 1 : 0;
}

function blockBytes(b: CandidateBlock): number {
  return b.fps.byteLength + b.parents.byteLength + b.actions.byteLength + b.offsets.byteLength + b.bytes.byteLength + b.flags.byteLength;
}

/** Appends the winners' parents and actions, block by block (the canonical order). */
function addLevelTraces(traces: TraceStore, blocks: readonly CandidateBlock[], n: number): void {
  const parents = new Uint32Array(n);
  const actions = new Uint16Array(n);
  let i = 0;
  for (const b of blocks) {
    const flags = new Uint8Array(b.flags);
    const par = new Uint32Array(b.parents);
    const act = new Uint16Array(b.actions);
    for (let k = 0; k < b.count; k++) {
      if (flags[k] !== 1) continue;
      parents[i] = par[k];
      actions[i] = act[k];
      i++;
    }
  }
  traces.addLevel(parents, actions);
}

function sharedBlock(n: number, fps: number[], parents: number[], actions: number[], offsets: number[], sink: ByteSink): CandidateBlock {
  const block: CandidateBlock = {
    count: n,
    fps: new SharedArrayBuffer(n * 8),
    parents: new SharedArrayBuffer(n * 4),
    actions: new SharedArrayBuffer(n * 2),
    offsets: new SharedArrayBuffer((n + 1) * 4),
    bytes: new SharedArrayBuffer(sink.length),
    flags: new SharedArrayBuffer(n),
  };
  new Uint32Array(block.fps).set(fps);
  new Uint32Array(block.parents).set(parents);
  new Uint16Array(block.actions).set(actions);
  new Uint32Array(block.offsets).set(offsets);
  new Uint8Array(block.bytes).set(sink.bytes.subarray(0, sink.length));
  return block;
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
