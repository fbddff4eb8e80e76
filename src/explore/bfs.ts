// `bfs`: a breadth-first search of a built model on this thread, on Immutable values — the
// one level-synchronous search (src/search/level-search.ts) that every run uses, entered
// with one thread. The first violation found is at the smallest depth, so its trace is a
// shortest counterexample; ties go to the first in (frontier order, action order).
import type { Model } from '../model/model.ts';
import type { CheckResult } from './result.ts';
import { runSearch } from './engine.ts';
import type { SearchOptions } from './search-options.ts';

/**
 * Explores every reachable state of `model` breadth-first on this thread and checks its
 * properties, liveness included (unless `liveness: false`, or a reduction leaves it
 * unchecked). `options.reduction` (from `reductionFor`) reduces the search.
 *
 * @example
 *   const r = await bfs(model, { maxStates: 1e6 });
 *   if (r.status === 'violated') console.log(r.violation.trace.steps.length);
 */
export function bfs<S, A>(model: Model<S, A>, options: SearchOptions = {}): Promise<CheckResult> {
  return runSearch(model as Model<unknown, unknown>, { ...options, engine: 'immutable', workers: 1 });
}
