// The worker threads of one search: given (a pool reused across searches) or its own, started
// once the search is big enough to use them, warmed up while this thread runs levels alone,
// and the tasks of a level's phases sent to them. Until its threads have imported the model,
// this thread expands every level alone.
import { availableParallelism } from 'node:os';
import type { Piscina } from 'piscina';
import { workerBundle } from '../workers/bundle.ts';
import { createWorkerPool } from '../workers/pool.ts';
import { closeJoin, WARM_READY, WARM_STOP, type Task } from './protocol.ts';
import type { ParallelOptions } from './level-options.ts';
import type { SearchState } from './search-state.ts';

/**
 * An own pool is started once the search has run START_POOL_MS on a level of at least
 * START_POOL_LEVEL states expected to take START_POOL_LEVEL_MS on this thread alone (its
 * size times the last level's cost a state). Starting the threads costs about a quarter of
 * a second of wall time, whatever the search: while a worker loads and warms up this
 * thread's levels take 1.5-2.5 times as long (they share the two cores with the new thread
 * and its compiler), and the first two shared levels run cold on both threads (kvm 2/2/4,
 * `MMCHECK_TRACE_LEVELS=1`: levels 36-40 took 445 ms with 2 workers against 190 ms with 1;
 * then 1.33x as fast). Shared levels then save about a quarter of their time, so a pool pays
 * only with a second or more of search after it. With the pool at 250 ms and 40 ms levels,
 * kvm 2/2/4 took 1.56 s with 2 workers and 1.32 s with 1, two-phase-commit 7 1.02 s and
 * 0.87 s; at 1 s and 80 ms they take what 1 worker takes (one median of 3 pairs each), and
 * kvm 2/3/2 (15 s alone) still starts its pool at 1 s. Its threads join the level under way
 * when they are ready (protocol.ts Joinable).
 */
const START_POOL_LEVEL = 2048;
const START_POOL_MS = 1000;
const START_POOL_LEVEL_MS = 80;
/**
 * A level expected to take less than this alone (ms) is expanded by this thread alone even
 * with the pool ready: sharing one costs two round trips to the threads, the claims' room,
 * the validate phase and the sample check, a few ms whatever its size.
 */
const SHARE_LEVEL_MS = 8;
/**
 * How long a worker may go on warming up (warm-up.ts) after it is ready, while this thread
 * still runs levels alone: a core that would idle runs the model's code, so the worker's
 * first shared level runs JIT-compiled and, on the vector engine, with fuller memo tries.
 */
const WARM_HOLD_MS = 3000;
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

/** When a search's own pool starts, and which levels it shares (ParallelOptions.startPool, every field given). */
export type PoolTiming = Required<NonNullable<ParallelOptions['startPool']>>;

/**
 * When the pool of a search with `options` starts and which levels it shares: the defaults
 * above; `startPool` as given (tests; levelMs and shareMs 0 unless given); with `waitForPool`
 * at once. With a pool or a `minSharedLevel` given (tests sending small levels through the
 * threads), every level of at least that many states is shared.
 */
export function poolTiming(options: ParallelOptions): PoolTiming {
  const given = options.startPool ?? (options.waitForPool === true ? { afterMs: 0, level: 0, joinMs: JOINABLE_MS } : undefined);
  if (given !== undefined) return { levelMs: 0, shareMs: 0, ...given };
  const shareMs = options.pool === undefined && options.minSharedLevel === undefined ? SHARE_LEVEL_MS : 0;
  return { afterMs: START_POOL_MS, level: START_POOL_LEVEL, joinMs: JOINABLE_MS, levelMs: START_POOL_LEVEL_MS, shareMs };
}

/**
 * True when a search `elapsedMs` old, at a level of `levelSize` states that cost `stateMs`
 * each on one thread at the last level (0 before one was measured), should start its pool.
 */
export function timeToStart(when: PoolTiming, elapsedMs: number, levelSize: number, stateMs: number): boolean {
  return elapsedMs >= when.afterMs && levelSize >= when.level && levelSize * stateMs >= when.levelMs;
}

/** True when a level of `levelSize` states, at `stateMs` a state on one thread, is worth the threads' round trips. */
export function worthSharing(when: PoolTiming, levelSize: number, stateMs: number): boolean {
  return levelSize * stateMs >= when.shareMs;
}

/** The pool of one search and what is known of its threads. */
export class SearchPool {
  private pool?: Piscina;
  private readonly own: boolean;
  /** The pool's threads have loaded the model (a given pool's are taken to have). */
  ready: boolean;
  /**
   * Why the search's own pool failed: a thread died loading the model or warming up (model
   * code that ends its thread, or no memory). Raised at the next level, as a thread that
   * dies during a level is.
   */
  private failure: unknown;
  private starting = false;
  private closed = false;
  private tStart = 0;
  /** The warm-ups' [stop, ready] (protocol.ts WarmTask). */
  private readonly warmControl = new Int32Array(new SharedArrayBuffer(8));
  /** When the own pool starts, and how long a level must be to be joined part-way. */
  readonly when: PoolTiming;

  constructor(private readonly s: SearchState) {
    this.pool = s.options.pool;
    this.own = this.pool === undefined;
    this.ready = !this.own;
    // waitForPool (tests on a busy machine) also starts the pool at once: a pool started late,
    // at the search's last big level, would leave no level to wait at.
    this.when = poolTiming(s.options);
  }

  /** The search has threads beyond this one. */
  get usable(): boolean {
    return this.s.workers > 1;
  }

  /** A pool exists (its threads may still be loading). */
  get started(): boolean {
    return this.pool !== undefined;
  }

  /** Starts the own pool once the search has run a while on a level big enough to share. */
  start(now: number): void {
    const s = this.s;
    if (!this.own || !timeToStart(this.when, now - s.t0, s.levelSize, s.stateMs)) return;
    if (this.pool !== undefined || this.starting || !this.usable) return;
    // Each thread holds its own runtime, bundle and model: none when the budget has no room.
    if (!s.budget.fits((s.workers - 1) * WORKER_THREAD_BYTES)) return;
    if (s.identify() !== undefined || s.source.identity === undefined) return;
    this.starting = true;
    // Threads load a bundle of the worker and model (fast), or the TypeScript through tsx.
    this.tStart = performance.now();
    void (s.source.file !== '' ? workerBundle(s.source.file) : Promise.resolve(null)).then((entry) => {
      if (this.closed) return;
      this.pool = createWorkerPool(s.workers, entry ?? undefined);
      this.warmUp(this.pool);
    });
  }

  private warmUp(p: Piscina): void {
    const s = this.s;
    // A worker goes on warming while this thread runs levels alone, if it has a core of its
    // own (more threads than cores would slow this one down).
    const holdMs = s.workers <= availableParallelism() ? WARM_HOLD_MS : 0;
    const control = this.warmControl.buffer as SharedArrayBuffer;
    const warm = Array.from({ length: Math.max(1, s.workers - 1) }, () => p.run({ kind: 'warm', source: s.source, search: s.searchId, control, holdMs } satisfies Task));
    // Readiness is the control's count (a warm task that ends well has said it is ready);
    // a thread that dies instead fails the search.
    Promise.all(warm).catch((e: unknown) => (this.failure = e ?? new Error('a worker thread failed to start')));
  }

  /** Notes the own pool's threads as ready once every warm-up has said so. */
  seeReady(): void {
    if (!this.ready && this.pool !== undefined && Atomics.load(this.warmControl, WARM_READY) >= this.s.workers - 1) {
      this.ready = true;
      this.s.options.onPoolReady?.({ startedMs: this.tStart - this.s.t0, readyMs: performance.now() - this.s.t0 });
    }
  }

  /** With waitForPool, waits (up to a minute) for a pool being started to be ready. */
  async waitIfAsked(): Promise<void> {
    if (this.s.options.waitForPool !== true || this.ready || (this.pool === undefined && !this.starting)) return;
    const until = performance.now() + 60_000;
    // The pool is created once its bundle is built (asynchronously): wait for that too.
    while ((this.pool === undefined || Atomics.load(this.warmControl, WARM_READY) < this.s.workers - 1) && this.failure === undefined && !this.closed && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.throwIfFailed();
    this.seeReady();
  }

  /** A thread that died starting up ends the search. */
  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** The workers' warm-ups end before their first level (their tasks queue behind them). */
  endWarmUps(): void {
    Atomics.store(this.warmControl, WARM_STOP, 1);
  }

  /** Sends `task` to a thread; its result is awaited after this thread's own share. */
  run<R>(task: Task): Promise<R> {
    const p = this.pool!.run(task) as Promise<R>;
    // Marked handled now, so a thread that dies meanwhile is not an unhandled rejection.
    p.catch(() => undefined);
    return p;
  }

  /** The same task on each other thread of the search. */
  runOnOthers<R>(task: Task): Promise<R>[] {
    const others: Promise<R>[] = [];
    for (let w = 1; w < this.s.workers; w++) others.push(this.run<R>(task));
    return others;
  }

  /** Ends the warm-ups and destroys the search's own pool. */
  async close(): Promise<void> {
    this.closed = true;
    this.endWarmUps();
    if (this.own && this.pool !== undefined) await this.pool.destroy();
  }
}

/**
 * How the other threads' tasks of a phase ended, once this thread has done its part. For a
 * joinable phase (protocol.ts Joinable) it is closed first, and only the threads that joined
 * are waited for (a task that starts later does nothing).
 */
export function participants<R extends { readonly late?: boolean }>(tasks: readonly Promise<R>[], join: SharedArrayBuffer | undefined): Promise<PromiseSettledResult<R>[]> {
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
export function fulfilled<R>(settled: readonly PromiseSettledResult<R>[]): R[] {
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  return settled.map((r) => (r as PromiseFulfilledResult<R>).value);
}
