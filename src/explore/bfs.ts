// Sequential breadth-first search: the first violation found is at the smallest depth, so
// its trace is a shortest counterexample.
//
// Level by level: the frontier holds the states of depth d, encoded (frontier.ts), with
// their seen-set slots;
// expanding it yields depth d+1. Invariants are checked when a state is first inserted,
// transition properties on every step, deadlock freedom when a state is expanded. When a
// violation of depth d+1 is found, the rest of level d is still scanned for deadlocks (which
// are of depth d, hence shorter) before stopping; ties go to the first found in the fixed
// order (frontier order, then action order), never to timing.
import { propertiesByKind, type Fairness, type Model } from '../model/model.ts';
import { ModelError, errorText } from '../model/errors.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import { InvalidStateError, validateState } from '../state/validate.ts';
import { traceTo } from '../trace/reconstruct.ts';
import type { CheckResult, CheckStats, Limit, Violation } from './result.ts';
import { collisionProbability, finalResult, withUnchecked } from './result.ts';
import { ROOT, SeenSet, SeenSetFullError } from './seen-set.ts';
import { checkDeterminism, DETERMINISM_SAMPLE } from './determinism.ts';
import { withExitGuard } from './exit-guard.ts';
import { CycleProviso } from '../reduce/cycle-proviso.ts';
import type { SearchReduction } from '../reduce/search-hooks.ts';
import { Frontier } from './frontier.ts';
import { StateCodec } from '../state/codec.ts';
import { getHeapStatistics } from 'node:v8';
import { stopText, type StopRequest } from './stop-request.ts';
import { livenessPlan } from './liveness/plan.ts';
import type { LiveSearch } from './live-search.ts';
import { MemoryBudget, memoryAtStart, searchTerms, type MemoryTerm } from './memory-budget.ts';

/** Limits and switches of a search. */
export interface SearchOptions {
  /**
   * Store at most this many distinct states: the search stops (incomplete) at the transition
   * that finds one more, counting neither it nor anything after it. A model with no more
   * states than this is searched in full.
   */
  readonly maxStates?: number;
  /** Do not expand states at this depth (incomplete if any would have had successors). */
  readonly maxDepth?: number;
  /** Stop (incomplete) after this many milliseconds. */
  readonly timeLimitMs?: number;
  /** Memory budget of the run in bytes: this process's resident memory (default: 75% of the machine's; see memory-budget.ts). */
  readonly memoryBytes?: number;
  /** The budget itself, when it counts memory outside this process too (the CLI's supervisor); overrides memoryBytes. */
  readonly memory?: MemoryBudget;
  /**
   * Explore past violations (--all-properties, --continue): the whole state space, every
   * violated property reported at its shortest; without it the search stops at the level of
   * the first violation.
   */
  readonly allProperties?: boolean;
  /** Stops the search (incomplete, 'interrupted') when aborted. */
  readonly signal?: AbortSignal;
  /**
   * A stop request shared with other threads (a watchdog's), read before each state: the
   * search ends with its reason as the limit. Without it, a request of the search's own
   * takes `signal` and the time limit between states of this thread.
   */
  readonly stop?: StopRequest;
  /** Where the search shows its figures after each level and its partial result (the CLI's watchdog reads them). */
  readonly live?: LiveSearch;
  /** Called every `progressIntervalMs` with the figures so far. */
  readonly onProgress?: (p: Progress) => void;
  readonly progressIntervalMs?: number;
  /** Called on every transition taken (for coverage: how often each step fired). */
  readonly onTransition?: (state: unknown, action: unknown) => void;
  /** Partial-order and/or symmetry reduction (src/reduce: `reductionFor`). */
  readonly reduction?: SearchReduction<any, any>;
  /** false: check safety only, leaving liveness properties unchecked (default true). */
  readonly liveness?: boolean;
  /** Every thread's fairness for liveness, in place of the model's own (default 'weak'). */
  readonly fairness?: Fairness;
}

/** A progress line's figures. */
export interface Progress {
  readonly elapsedMs: number;
  readonly distinctStates: number;
  readonly transitions: number;
  readonly depth: number;
  readonly frontier: number;
  readonly statesPerSecond: number;
}

/** Peak resident set size of this process so far, in bytes. */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Locates an error raised while computing the successor of `state` by `action`. */
function locate<S, A>(model: Model<S, A>, state: S, action: A | undefined, e: unknown): ModelError {
  if (e instanceof ModelError) return e;
  let where = 'the initial state';
  if (action !== undefined) {
    try {
      where = `the state after step '${model.formatAction(state, action)}'`;
    } catch {
      where = 'a successor state';
    }
  }
  if (e instanceof InvalidStateError) return new ModelError({ model: model.name }, `${where}: ${e.message}`, { cause: e });
  return new ModelError({ model: model.name }, `${where}: ${errorText(e)}`, { cause: e });
}

/**
 * Explores every reachable state of `model` breadth-first and checks its properties, but not
 * liveness (listed as unchecked: this search keeps no state graph; `check` and the level
 * search do).
 *
 * @example
 *   const r = await bfs(model, { maxStates: 1e6 });
 *   if (r.status === 'violated') console.log(r.violation.trace.steps.length);
 */
export async function bfs<S, A>(model: Model<S, A>, options: SearchOptions = {}): Promise<CheckResult> {
  return withExitGuard(() => bfsUnguarded(model, options));
}

// FIXME(function-length): bfsUnguarded is 282 lines, over the 120 a reader can take in (test/package/function-length.test.ts holds it there): split it into named parts.
async function bfsUnguarded<S, A>(model: Model<S, A>, options: SearchOptions): Promise<CheckResult> {
  const t0 = performance.now();
  const heapLimit = getHeapStatistics().heap_size_limit;
  // The run's memory budget (memory-budget.ts): this process's resident memory, all of it.
  const budget = options.memory ?? new MemoryBudget(options.memoryBytes);
  // The heap limit includes the young generation, which the old space cannot use: keep a
  // margin below it, so a search that explodes stops cleanly instead of dying of OOM.
  const heapBudget = Math.min(heapLimit * 0.8, heapLimit - 64 * 2 ** 20);
  const seen = new SeenSet(1 << 10);
  /** Where the memory went, for a stop for memory (the rest of the resident memory is the remainder). */
  const atStart = memoryAtStart();
  const memoryTerms = (): MemoryTerm[] =>
    searchTerms(atStart, [
      { name: 'seen set', bytes: seen.bytes },
      { name: 'frontier', bytes: frontier.bytes + nextStates.bytes },
    ]);
  const { invariants, transitions: transitionProps, deadlock } = propertiesByKind(model);
  const propertyNames = model.properties.map((p) => p.name);
  const violations: Violation[] = [];
  const violated = new Set<string>();
  const fp = new Uint32Array(2);
  // Reductions: the seen-set key (symmetry) and the subset of actions expanded (POR).
  const keyOf: (s: S, out: Uint32Array) => void = options.reduction?.key ?? fingerprintInto;
  const select = options.reduction?.select;
  const proviso = select ? new CycleProviso(seen.capacity) : undefined;
  let transitions = 0;
  let expanded = 0;
  let depth = 0;
  let peakFrontier = 0;
  let frontierBytesPerState = 0;
  let limit: Limit | undefined;
  let limitReason = '';
  let stopAfterLevel = false;
  let lastProgress = t0;
  let lastMemoryCheck = t0;
  let lastYield = t0;
  const progressEvery = options.progressIntervalMs ?? 5000;
  const onTransition = options.onTransition;

  const stats = (): CheckStats => {
    const elapsedMs = performance.now() - t0;
    return {
      distinctStates: seen.size,
      transitions,
      depth,
      elapsedMs,
      statesPerSecond: elapsedMs > 0 ? (seen.size * 1000) / elapsedMs : 0,
      peakMemoryBytes: peakRss(),
      seenSetBytesPerState: seen.size > 0 ? seen.bytes / seen.size : 0,
      peakFrontier,
      frontierBytesPerState,
      collisionProbability: collisionProbability(seen.size),
      workers: 1,
      engine: 'immutable',
    };
  };

  const record = (v: Violation) => {
    violated.add(v.property);
    violations.push(v);
    // --all-properties (--continue) explores the whole state space, whatever it finds.
    if (!options.allProperties) stopAfterLevel = true;
  };

  // Levels are held encoded (a few dozen bytes a state) and decoded when expanded.
  const codec = new StateCodec();
  let frontier = new Frontier<S>(codec);
  let frontierSlots: number[] = [];
  let nextStates = new Frontier<S>(codec);
  let nextSlots: number[] = [];

  const growSeen = () => {
    // Weighed before it is allocated: the new table (half as large again) beside the old.
    if (!budget.fits(seen.bytes * 1.5)) throw new SeenSetFullError(`the seen set would grow to ${mib(seen.bytes * 1.5)} MiB, past the budget`);
    const map = seen.grow();
    proviso?.remap(map, seen);
    for (let i = 0; i < frontierSlots.length; i++) frontierSlots[i] = map[frontierSlots[i]];
    for (let i = 0; i < nextSlots.length; i++) nextSlots[i] = map[nextSlots[i]];
    return map;
  };

  /** Checks limits now and then; sets `limit` when one is hit. */
  const checkLimits = () => {
    const now = performance.now();
    if (options.signal?.aborted) {
      limit = 'interrupted';
      limitReason = 'interrupted';
    } else if (options.timeLimitMs !== undefined && now - t0 > options.timeLimitMs) {
      limit = 'time-limit';
      limitReason = `time limit of ${(options.timeLimitMs / 1000).toFixed(1)} s reached`;
    } else {
      const heap = getHeapStatistics().used_heap_size;
      if (heap > heapBudget) {
        limit = 'memory';
        limitReason = `memory budget reached: the JS heap is at ${mib(heap)} of ${mib(heapBudget)} MiB (node --max-old-space-size raises it)`;
      } else if (now - lastMemoryCheck >= 20 && ((lastMemoryCheck = now), !budget.fits())) {
        // The resident memory (a 30 µs system call: every 20 ms at most).
        limit = 'memory';
        limitReason = budget.reached(memoryTerms());
      }
    }
    if (options.onProgress && now - lastProgress >= progressEvery) {
      lastProgress = now;
      const elapsedMs = now - t0;
      options.onProgress({ elapsedMs, distinctStates: seen.size, transitions, depth, frontier: frontier.length + nextStates.length, statesPerSecond: (seen.size * 1000) / elapsedMs });
    }
  };

  // Fingerprinting validates what it hashes (fingerprint.ts); on failure validation finds the
  // path to the bad value. A symmetry key hashes a permuted copy instead, so then new states
  // are validated separately.
  const keyOrValidate = (s2: S): void => {
    try {
      keyOf(s2, fp);
    } catch (e) {
      validateState(s2);
      throw e;
    }
  };

  if (options.live !== undefined) {
    options.live.partial = (reason, note) =>
      finalResult(model.name, stats(), propertyNames, [...violations], reason, `${stopText(reason, options.timeLimitMs, () => budget.reached(memoryTerms()))}; ${note}`, options.allProperties ?? false);
  }

  let current: S | undefined;
  let currentAction: A | undefined;
  try {
    const inits = model.initStates();
    for (let i = 0; i < inits.length; i++) {
      const s = inits[i];
      current = s;
      validateState(s);
      keyOf(s, fp);
      // --max-states N stores at most N states: an (N+1)-th stops the search before it is stored.
      if (options.maxStates !== undefined && seen.size >= options.maxStates && seen.find(fp[0], fp[1]) < 0) {
        limit = 'max-states';
        limitReason = `max states ${options.maxStates} reached`;
        break;
      }
      let slot = seen.insert(fp[0], fp[1], ROOT, i);
      if (slot < 0) continue;
      // Many initial states: grow here too (an insert into a full table would never end).
      if (seen.needsGrow) slot = growSeen()[slot];
      proviso?.stored(slot, 0);
      for (const inv of invariants) {
        if (violated.has(inv.name)) continue;
        const msg = inv.check(s);
        if (msg !== null) record({ property: inv.name, kind: 'invariant', message: msg, trace: traceTo(model, seen, slot, undefined, keyOf) });
      }
      frontier.push(s);
      frontierSlots.push(slot);
    }
    current = undefined;

    while (frontier.length > 0 && !stopAfterLevel && limit === undefined) {
      if (frontier.length > peakFrontier) {
        peakFrontier = frontier.length;
        frontierBytesPerState = frontier.bytes / frontier.length;
      }
      for (let k = 0; k < frontier.length; k++) {
        // Before each state: a stop lands within one state's work (stop-request.ts).
        const stopReason = options.stop?.reason;
        if (stopReason !== undefined) {
          limit = stopReason;
          limitReason = stopText(stopReason, options.timeLimitMs, () => budget.reached(memoryTerms()));
          break;
        }
        const s = frontier.get(k);
        const slot = frontierSlots[k];
        current = s;
        currentAction = undefined;
        const acts = model.actions(s);
        if (expanded++ < DETERMINISM_SAMPLE) checkDeterminism(model, s, acts);
        if (acts.length === 0) {
          if (deadlock && !violated.has(deadlock.name) && !deadlock.isEnd(s)) {
            record({ property: deadlock.name, kind: 'deadlock', message: `no thread can move: ${deadlock.explain(s)}`, trace: traceTo(model, seen, slot, undefined, keyOf) });
          }
          continue;
        }
        if (stopAfterLevel) continue; // only deadlocks (depth d) can still beat what was found
        if (options.maxDepth !== undefined && depth >= options.maxDepth) {
          limit = 'max-depth';
          limitReason = `max depth ${options.maxDepth} reached`;
          continue;
        }
        // POR: a persistent subset, kept only if the cycle proviso allows (successors
        // computed for the check are reused below).
        let chosen: readonly number[] | null = select ? select(s, acts) : null;
        let presampled: S[] | null = null;
        if (chosen !== null && chosen.length < acts.length) {
          presampled = [];
          for (let j = 0; j < chosen.length; j++) {
            currentAction = acts[chosen[j]];
            const s2 = model.next(s, acts[chosen[j]]);
            keyOf(s2, fp);
            const found = seen.find(fp[0], fp[1]);
            if (found >= 0 && proviso!.storedBefore(found, depth)) {
              chosen = null;
              presampled = null;
              break;
            }
            presampled.push(s2);
          }
        } else chosen = null;
        const expand = chosen === null ? acts.length : chosen.length;
        for (let j = 0; j < expand; j++) {
          const i = chosen === null ? j : chosen[j];
          const a = acts[i];
          currentAction = a;
          const s2 = presampled !== null ? presampled[j] : model.next(s, a);
          // --max-states N: the transition that finds an (N+1)-th state ends the search; it
          // and everything after it are not counted (at most N states are stored).
          if (options.maxStates !== undefined && seen.size >= options.maxStates) {
            keyOrValidate(s2);
            if (seen.find(fp[0], fp[1]) < 0) {
              limit = 'max-states';
              limitReason = `max states ${options.maxStates} reached`;
              break;
            }
          }
          transitions++;
          if (onTransition !== undefined) onTransition(s, a);
          for (const tp of transitionProps) {
            if (violated.has(tp.name)) continue;
            const msg = tp.check(s, a, s2);
            if (msg !== null) record({ property: tp.name, kind: 'transition', message: msg, trace: traceTo(model, seen, frontierSlots[k], i, keyOf) });
          }
          keyOrValidate(s2);
          const ns = seen.insert(fp[0], fp[1], frontierSlots[k], i);
          if (ns < 0) continue;
          if (keyOf !== fingerprintInto) validateState(s2);
          proviso?.stored(ns, depth + 1);
          nextStates.push(s2);
          nextSlots.push(ns);
          if (seen.needsGrow) growSeen();
          for (const inv of invariants) {
            if (violated.has(inv.name)) continue;
            const msg = inv.check(s2);
            if (msg !== null) record({ property: inv.name, kind: 'invariant', message: msg, trace: traceTo(model, seen, nextSlots[nextSlots.length - 1], undefined, keyOf) });
          }
        }
        if ((k & 255) === 255) {
          checkLimits();
          // Let signal handlers and timers run (Ctrl-C, progress) without slowing the search.
          if (performance.now() - lastYield > 50) {
            await new Promise<void>((r) => setImmediate(r));
            lastYield = performance.now();
          }
        }
        if (limit !== undefined && limit !== 'max-depth') break;
      }
      if (limit === 'max-depth') {
        // States at the depth bound were not expanded; the part above it was fully checked.
        break;
      }
      if (nextStates.length > 0) depth++;
      options.live?.publish(seen.size, transitions, depth);
      const done = frontier;
      frontier = nextStates;
      frontierSlots = nextSlots;
      done.clear();
      nextStates = done;
      nextSlots = [];
      if (limit === undefined) checkLimits();
    }
  } catch (e) {
    if (e instanceof SeenSetFullError) {
      limit = 'memory';
      limitReason = budget.reached(memoryTerms(), e.message);
    } else {
      const err = locate(model, current as S, currentAction, e);
      const cause = (err.cause as Error | undefined) ?? err;
      return { status: 'error', model: model.name, stats: stats(), error: { message: err.message, stack: cause.stack } };
    }
  }

  // This search keeps no state graph: liveness is unchecked (unless not asked for, or there is none).
  const plan = livenessPlan(model, options, { sequential: true });
  const liveness = 'error' in plan ? propertiesByKind(model).liveness.map((p) => ({ property: p.name, reason: plan.error })) : plan.unchecked;
  return withUnchecked(finalResult(model.name, stats(), propertyNames, violations, limit, limitReason, options.allProperties ?? false), liveness);
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
