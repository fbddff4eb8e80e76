// Which engine searches a model: the vector engine (fixed-width vector states, steps answered
// from memo tries; src/model/vector.ts, src/search/) whenever the model has a vector form
// and the search needs nothing it lacks, else Immutable values. Either way the one
// level-synchronous search runs, on this thread and worker threads. Both engines give the
// same states, transitions, verdicts and counterexamples; the vector engine is several times
// faster, the immutable one runs any model and every option.
import type { Model } from '../model/model.ts';
import { vectorFormOf } from '../model/plain-vector.ts';
import { emptyStats, withUnchecked, type CheckResult, type CheckStats } from './result.ts';
import { livenessPlan } from './liveness/plan.ts';
import { parallelBfs } from '../search/level-search.ts';
import type { ParallelOptions } from '../search/level-options.ts';
import type { Engine, ModelSource } from '../search/protocol.ts';
import { reductionFor, type ReductionChoice } from '../reduce/reduction.ts';
import { searchWithInferredFootprints } from '../reduce/footprint-inference.ts';

/** The engine a search is asked to use: 'auto' picks the vector engine when it can. */
export type EngineChoice = 'auto' | Engine;

/** A search's options plus where it runs. */
export interface RunOptions extends ParallelOptions {
  /** Search threads, this one included (default 1). */
  readonly workers?: number;
  /** Default 'auto'. */
  readonly engine?: EngineChoice;
  /** The model's file and parameters, for worker threads (without it the search runs in this thread). */
  readonly source?: Omit<ModelSource, 'engine'>;
  /** The reductions asked for (both run on either engine). */
  readonly reductions?: ReductionChoice;
}

/** The engine `options` lead to for `model`, and why not the vector engine when it is not. */
export function chooseEngine(model: Model<any, any>, options: RunOptions): { engine: Engine; note?: string } | { error: string } {
  const asked = options.engine ?? 'auto';
  if (asked === 'immutable') return { engine: 'immutable' };
  let reason: string | undefined;
  if (options.onTransition !== undefined) reason = 'per-transition hooks (--coverage) run on Immutable values';
  else {
    const v = vectorFormOf(model, { symmetry: options.reductions?.symmetry ?? false });
    if ('reason' in v) reason = v.notLayout ? `no vector form: ${v.reason}` : `no fixed layout of slots: ${v.reason}`;
  }
  if (reason === undefined) return { engine: 'vector' };
  if (asked === 'vector') return { error: `--engine vector: ${reason}` };
  return { engine: 'immutable', note: reason };
}

function withNote(r: CheckResult, note: string | undefined): CheckResult {
  if (note === undefined) return r;
  return { ...r, stats: { ...r.stats, engineNote: note } as CheckStats };
}

/**
 * Searches `model` on the engine `options` lead to, falling back to Immutable values when the
 * vector engine meets a state without a fixed layout, or (`--engine auto`) when its memo
 * misses too often to pay (explore/memo-payoff.ts); the result's `stats.engineNote` says so.
 *
 * @example
 *   const r = await runSearch(model, { workers: 2, source: { file, params } });
 */
export async function runSearch(model: Model<any, any>, options: RunOptions): Promise<CheckResult> {
  // Partial-order reduction infers the footprints of steps that declare none, which may take
  // more than one search (src/reduce/footprint-inference.ts).
  const reductions = options.reductions;
  if (reductions?.por && reductions.footprints === undefined) {
    return searchWithInferredFootprints(model, reductions, options, (choice, o) => {
      const rebuilt = reductionFor(model, choice);
      return runSearch(model, { ...options, ...o, reductions: choice, reduction: rebuilt.ok ? rebuilt.reduction : options.reduction });
    });
  }
  const choice = chooseEngine(model, options);
  const workers = Math.max(1, Math.floor(options.workers ?? 1));
  const errorOf = (message: string): CheckResult => ({ status: 'error', model: model.name, stats: emptyStats(workers), error: { message } });
  if ('error' in choice) return errorOf(choice.error);
  // Liveness: checked on the graph the level search records, unless a reduction (asked for by
  // name, or given built, as bfs() takes it) stands in the way.
  const por = (options.reductions?.por ?? false) || options.reduction?.select !== undefined;
  const symmetry = (options.reductions?.symmetry ?? false) || options.reduction?.key !== undefined;
  const storage = options.storage !== undefined && options.storage.kind !== 'ram' ? options.storage.kind : undefined;
  const lp = livenessPlan(model, options, { por, symmetry, storage });
  if ('error' in lp) return errorOf(lp.error);
  const threads = options.source !== undefined ? workers : 1;
  const source: ModelSource = { file: options.source?.file ?? '', params: options.source?.params ?? {}, reduction: options.reductions ?? options.source?.reduction };
  const levelSearch = (engine: Engine) => parallelBfs(model, { ...source, engine }, { ...options, workers: threads, livenessPlan: lp.plan, fallBackWhenSlow: (options.engine ?? 'auto') === 'auto' });
  let note = choice.note;
  if (choice.engine === 'vector') {
    const tVector = performance.now();
    const r = await levelSearch('vector');
    if (r.status !== 'needs-immutable') return withUnchecked(r, lp.unchecked);
    // The figures are the Immutable search's; the note says what the vector attempt cost.
    if (r.slow) note = `${r.reason}; the vector attempt took ${((performance.now() - tVector) / 1000).toFixed(2)} s before it`;
    else if (options.engine === 'vector') return errorOf(`--engine vector: a state has no fixed layout of slots: ${r.reason}`);
    else note = `a state has no fixed layout of slots (${r.reason}); searched Immutable values instead`;
  }
  return withUnchecked(withNote(await immutable(), note), lp.unchecked);

  async function immutable(): Promise<CheckResult> {
    const r = await levelSearch('immutable');
    if (r.status === 'needs-immutable') throw new Error('the immutable engine asked for itself');
    return r;
  }
}
