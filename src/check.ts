// The programmatic API: check a model (a definition with parameters, or a built Model) from
// a driver author's own test suite, and get the result as a value.
import type { ModelDefinition } from './model/definition.ts';
import { checkDefinition, isModelDefinition } from './model/definition.ts';
import type { Model } from './model/model.ts';
import { ModelError, errorText } from './model/errors.ts';
import { ParamError } from './model/params.ts';
import { buildModel, checkModel } from './model/build.ts';
import type { SearchOptions } from './explore/search-options.ts';
import { runSearch, type EngineChoice } from './explore/engine.ts';
import type { CheckResult, CheckStats } from './explore/result.ts';
import { reductionFor } from './reduce/reduction.ts';
import { searchThreads } from './workers/thread-count.ts';

/** Options of `check`: search limits plus the model's parameters. */
export interface CheckOptions extends SearchOptions {
  /** Parameter values (numbers, booleans, strings, or strings to parse as from the CLI). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Partial-order reduction (the model must give independence information, as DSL models do). */
  readonly por?: boolean;
  /** Symmetry reduction over the model's thread groups (refused when a group's programs differ). */
  readonly symmetry?: boolean;
  /**
   * Search threads (default 1: the search runs in this thread). With more than one, the
   * same search also runs on worker threads, which import the model by file path: give
   * `modelFile` (the absolute path of the module whose default export is the definition).
   * The answer (states, transitions, verdict, counterexample) is the same for any count.
   * At most one thread per core is used (`os.availableParallelism()`; `stats.workers` says
   * how many ran): more only slow the search.
   */
  readonly workers?: number;
  /** Absolute path of the model module, needed by `workers > 1`. */
  readonly modelFile?: string;
  /**
   * 'vector' (fixed-width states, memoised steps: several times faster), 'immutable'
   * (Immutable.js values: any model, every option), or 'auto' (default: vector when the
   * model and options allow). Both give the same answer.
   */
  readonly engine?: EngineChoice;
}

const EMPTY_STATS: CheckStats = {
  distinctStates: 0,
  transitions: 0,
  depth: 0,
  elapsedMs: 0,
  statesPerSecond: 0,
  peakMemoryBytes: 0,
  seenSetBytesPerState: 0,
  peakFrontier: 0,
  collisionProbability: 0,
  workers: 1,
};

export { buildModel };

/**
 * Checks every reachable state of a model.
 *
 * With `workers > 1` and a definition plus `modelFile`, the search runs on worker threads
 * (src/workers/). A built Model object (or a definition without `modelFile`) cannot be sent
 * to a worker — its closures do not cross threads — so it is checked sequentially, and
 * `stats.workers` says 1.
 *
 * @example
 *   import kvm from 'mmcheck/models/drivers/kvm.ts';
 *   const r = await check(kvm, { params: { faults: 2 } });
 *   expect(r.status).toBe('holds');
 *   // on two worker threads (the same answer):
 *   const modelFile = fileURLToPath(new URL('../models/drivers/kvm.ts', import.meta.url));
 *   const r2 = await check(kvm, { params: { faults: 2 }, workers: 2, modelFile });
 */
export async function check(model: Model<any, any> | ModelDefinition, options: CheckOptions = {}): Promise<CheckResult> {
  let built: Model<any, any>;
  const name = model.name;
  try {
    if (isModelDefinition(model)) checkDefinition(model, model.name);
    built = isModelDefinition(model) ? buildModel(model, options.params ?? {}) : checkModel(model, name);
  } catch (e) {
    // A model or parameter error's message already names where; anything else gets its type.
    const message = e instanceof ModelError || e instanceof ParamError ? e.message : errorText(e);
    return { status: 'error', model: name, stats: EMPTY_STATS, error: { message, stack: (e as Error)?.stack } };
  }
  const reductions = { por: options.por, symmetry: options.symmetry };
  const reduced = reductionFor(built, reductions);
  if (!reduced.ok) return { status: 'error', model: name, stats: EMPTY_STATS, error: { message: reduced.reason } };
  const workers = searchThreads(options.workers ?? 1).threads;
  const source = isModelDefinition(model) && options.modelFile !== undefined ? { file: options.modelFile, params: options.params ?? {} } : undefined;
  return runSearch(built, { ...options, workers, source, reductions, reduction: reduced.reduction });
}
