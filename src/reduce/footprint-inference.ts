// Partial-order reduction for steps and invariants that declare no footprint: infer the
// footprints from what they are seen to touch, and search until a search never sees them
// touch more — the only search whose answer counts.
//
// 1. A learning search: the first LEARNING_STATES states in BFS order, unreduced, every
//    thread's step and every invariant probed on each (access-probe.ts); what undeclared ones
//    touch is added to their inferred footprints.
// 2. The reduced search, with those footprints. On every state it expands every step and
//    invariant is checked as declared ones are; one that touches a key beyond what was
//    inferred ends the search (a FootprintGrowth error, which also crosses from worker
//    threads as a message), the key is added, and the reduced search starts again.
// An effect's goto in a step declaring no `targets` is learned the same way (its jump targets
// join the thread's control-flow graph, which the future-conflict table is read from).
// A search that ends without such an error ran with one fixed set of footprints that every
// step and invariant it expanded kept to — exactly the condition under which checked
// declarations are sound (docs/reduce.md, "Why checking is sound"). Its answer is returned;
// the searches before it only taught the footprints and are thrown away.
import type { Model } from '../model/model.ts';
import type { CheckResult, CheckStats } from '../explore/result.ts';
import type { SearchOptions } from '../explore/search-options.ts';
import { parallelBfs } from '../search/level-search.ts';
import { growthOf, NOTHING_INFERRED, type InferredFootprints } from './inferred-footprints.ts';
import { reductionFor, type ReductionChoice } from './reduction.ts';
import type { ThreadIndependence } from './thread-independence.ts';

/** States the learning search expands before the first reduced search. */
export const LEARNING_STATES = 1000;
/** Reduced searches at most (each one adds at least one key). */
export const MAX_SEARCHES = 100;

/**
 * Runs `search` (a reduced search with the footprints in its choice) until one ends without
 * meeting an access beyond the inferred footprints; returns that search's result, with a
 * note saying what was inferred. Models whose steps and invariants all declare footprints
 * (or that give no DSL independence) are searched once. `learningStates` bounds the first,
 * learning search (tests make it small, to exercise the searches again).
 *
 * @example
 *   const r = await searchWithInferredFootprints(model, { por: true }, options, (choice) => runSearch(model, { ...options, reductions: choice }));
 */
export async function searchWithInferredFootprints(
  model: Model<any, any>,
  choice: ReductionChoice,
  options: SearchOptions,
  search: (choice: ReductionChoice, options: SearchOptions) => Promise<CheckResult>,
  learningStates = LEARNING_STATES,
): Promise<CheckResult> {
  const ind = model.independence as ThreadIndependence<unknown> | undefined;
  if (!choice.por || choice.footprints !== undefined) return search(choice, options);
  if (ind?.undeclared === undefined) {
    const why = model.independence === undefined ? `model '${model.name}' gives no independence information (only thread-DSL models do): searched without it` : null;
    return withNote(await search({ ...choice, footprints: NOTHING_INFERRED }, options), why);
  }
  const { steps, invariants, jumps } = ind.undeclared;
  if (steps + invariants + jumps === 0) return withNote(await search({ ...choice, footprints: NOTHING_INFERRED }, options), ind.hint());
  const started = Date.now();
  const deadline = options.timeLimitMs === undefined ? Infinity : started + options.timeLimitMs;
  const remaining = (): SearchOptions => (deadline === Infinity ? options : { ...options, timeLimitMs: Math.max(1, deadline - Date.now()) });

  // 1. Learn from the first states, unreduced (only jumps to learn: the reduced searches do).
  let footprints: InferredFootprints = NOTHING_INFERRED;
  if (steps + invariants > 0) {
    const learning = reductionFor(model, { ...choice, footprints: NOTHING_INFERRED, learnFootprints: true });
    if (!learning.ok) return search(choice, options);
    // On this thread alone, which stops at the bound: exactly the steps of the first states run.
    const seen = await parallelBfs(model, { file: '', params: {}, engine: 'immutable' }, { ...remaining(), workers: 1, allProperties: true, maxStates: learningStates, onProgress: undefined, onTransition: undefined, reduction: learning.reduction });
    if (seen.status === 'error') return seen; // a model error, or a declared footprint broken
    footprints = ind.inferred();
  }

  // 2. Reduced searches until one sees nothing new.
  for (let n = 1; ; n++) {
    const r = await search({ ...choice, footprints }, remaining());
    const growth = r.status === 'error' ? growthOf(r.error.message) : null;
    if (growth === null) return withNote(withNote(r, note(steps, invariants, footprints, n, Date.now() - started - r.stats.elapsedMs)), ind.hint());
    if (n === MAX_SEARCHES) {
      return { status: 'error', model: model.name, stats: r.stats, error: { message: `model '${model.name}': partial-order reduction: the inferred footprints still grew after ${n} searches; declare the steps' reads and writes (docs/reduce.md)` } };
    }
    ind.prepare?.({ footprints });
    ind.grow(growth);
    footprints = ind.inferred();
  }
}

/** What was inferred and how many searches it took; null when nothing was (every footprint declared, no jump learned). */
function note(steps: number, invariants: number, inferred: InferredFootprints, searches: number, learningMs: number): string | null {
  const jumping = Object.values(inferred.jumps ?? {}).reduce((n, byStep) => n + Object.keys(byStep).length, 0);
  if (steps + invariants === 0 && jumping === 0) return null;
  const what = [steps > 0 ? `${steps} step${steps === 1 ? '' : 's'}` : '', invariants > 0 ? `${invariants} invariant${invariants === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ');
  const learned = steps + invariants > 0 ? 'a learning search' : '';
  const runs = searches === 1 ? `${learned} of the first states` : `${learned ? `${learned} and ` : ''}${searches - 1} reduced search${searches === 2 ? '' : 'es'} that met new keys or jumps`;
  const jumpText = jumping > 0 ? `jump targets learned for ${jumping} step${jumping === 1 ? '' : 's'} whose effect returns a goto and that declare no 'targets'` : '';
  const footprintText = what ? `footprints inferred for ${what} declaring none` : '';
  return `${[footprintText, jumpText].filter(Boolean).join('; ')} (${runs.trim()}, ${(learningMs / 1000).toFixed(2)} s before this search)`;
}

function withNote(r: CheckResult, text: string | null): CheckResult {
  if (text === null || r.status === 'error') return r;
  const before = r.stats.reductionNote;
  return { ...r, stats: { ...r.stats, reductionNote: before === undefined ? text : `${before}; ${text}` } as CheckStats };
}
