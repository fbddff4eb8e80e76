// The programmatic API: check a model (a definition with parameters, or a built Model) from
// a driver author's own test suite, and get the result as a value.
import type { ModelDefinition } from './model/definition.ts';
import { isModelDefinition } from './model/definition.ts';
import type { Model } from './model/model.ts';
import { errorText } from './model/errors.ts';
import { resolveParams } from './model/params.ts';
import { bfs, type SearchOptions } from './explore/bfs.ts';
import type { CheckResult, CheckStats } from './explore/result.ts';
import { reductionFor } from './reduce/reduction.ts';

/** Options of `check`: search limits plus the model's parameters. */
export interface CheckOptions extends SearchOptions {
  /** Parameter values (numbers, booleans, strings, or strings to parse as from the CLI). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Partial-order reduction (the model must give independence information, as DSL models do). */
  readonly por?: boolean;
  /** Symmetry reduction over the model's thread groups (refused when a group's programs differ). */
  readonly symmetry?: boolean;
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

/**
 * Builds a model from its definition with the given parameters (defaults filled in).
 * Throws ParamError for unknown or ill-typed parameters and ModelError for a model that
 * fails to build.
 */
export function buildModel(def: ModelDefinition, params: Readonly<Record<string, unknown>> = {}): Model<any, any> {
  const values = resolveParams(def.params, params, def.name);
  return def.build(values as never);
}

/**
 * Checks every reachable state of a model.
 *
 * @example
 *   import kvm from 'mmcheck/models/drivers/kvm.ts';
 *   const r = await check(kvm, { params: { faults: 2 } });
 *   expect(r.status).toBe('holds');
 */
export async function check(model: Model<any, any> | ModelDefinition, options: CheckOptions = {}): Promise<CheckResult> {
  let built: Model<any, any>;
  const name = model.name;
  try {
    built = isModelDefinition(model) ? buildModel(model, options.params ?? {}) : model;
  } catch (e) {
    return { status: 'error', model: name, stats: EMPTY_STATS, error: { message: errorText(e), stack: (e as Error)?.stack } };
  }
  const reduced = reductionFor(built, { por: options.por, symmetry: options.symmetry });
  if (!reduced.ok) return { status: 'error', model: name, stats: EMPTY_STATS, error: { message: reduced.reason } };
  return bfs(built, reduced.reduction ? { ...options, reduction: reduced.reduction } : options);
}
