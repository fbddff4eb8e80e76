// What a thread model's user functions must return, checked each time they run (dsl.ts calls
// these only off its fast path, when a result is not plainly right): guards a boolean, `choose`
// an array, effects nothing or { shared?, local?, goto? }, gotos a label, invariants null or a
// non-empty message, lock-name functions a declared lock. A wrong result used to be read as
// something else (a Promise as a true guard, `gotoo` as no jump): now it is a model error
// saying what was returned and what to write, the same on both engines since both run dsl.ts.
import { suggest } from './params.ts';
import { describeValue, echo, isPlainObject, isThenable } from './describe.ts';

/** The keys an effect may return. */
export const EFFECT_KEYS: readonly string[] = ['shared', 'local', 'goto'];

const EFFECT_SHAPE = 'an effect returns nothing or an object with only shared, local and goto';

/** Why a guard's result (not a boolean) is wrong. */
export function guardProblem(r: unknown): string {
  if (isThenable(r)) return 'the guard (when) returned a Promise: a guard must be synchronous and return true or false';
  return `the guard (when) returned ${describeValue(r)}: return true or false, e.g. \`(c) => c.shared.count > 0\``;
}

/** Why `choose`'s result (not an array) is wrong. */
export function chooseProblem(r: unknown): string {
  if (isThenable(r)) return 'choose returned a Promise: choose must be synchronous and return an array of options';
  return `choose returned ${describeValue(r)}: return an array of options, e.g. [0, 1, 2]; an empty array disables the step`;
}

/** Why an effect's result is wrong, or null when it is nothing or { shared?, local?, goto? }. */
export function effectProblem(r: unknown): string | null {
  if (r === undefined) return null;
  if (isPlainObject(r)) {
    for (const k in r) {
      if (k === 'shared' || k === 'local' || k === 'goto') continue;
      const hint = suggest(k, EFFECT_KEYS);
      return `the effect returned an unknown key '${echo(k)}'${hint ? ` (did you mean '${hint}'?)` : ''}: ${EFFECT_SHAPE}`;
    }
    return null;
  }
  if (isThenable(r)) return 'the effect returned a Promise: effects must be synchronous (no async, no await)';
  const what = describeValue(r);
  if (what.startsWith('an Immutable')) return `the effect returned ${what}: return { shared: … } (or { local: … }) to replace a part of the state`;
  return `the effect returned ${what}: ${EFFECT_SHAPE}`;
}

/**
 * Why a goto target (a goto function's result, or an effect's `goto`) is wrong: not a string,
 * or not a label of the thread. `from` says which ('goto returned', "the effect's goto is").
 */
export function gotoProblem(r: unknown, from: string, thread: string, labels: readonly string[]): string {
  const list = `${labels.join(', ')}, or 'done'`;
  if (typeof r !== 'string') return `${from} ${describeValue(r)}: return a step label of thread '${thread}' (${labels.join(', ')}) or 'done'`;
  const hint = suggest(r, labels);
  return `${from} '${echo(r)}', which names no step of thread '${thread}'${hint ? ` (did you mean '${hint}'?)` : ''}; labels: ${list}`;
}

/**
 * Why a property's result (not null, not a non-empty string) is wrong. `what` names the
 * property as the model declared it: `invariant 'x'`, `transition property 'x'`.
 */
export function invariantProblem(r: unknown, name: string, what = 'invariant'): string {
  if (isThenable(r)) return `${what} '${name}' returned a Promise: ${what === 'invariant' ? 'an invariant' : 'it'} must be synchronous and return null or a message`;
  return `${what} '${name}' returned ${describeValue(r)}: return null when the state is fine, or a non-empty message saying what broke`;
}

/** Models whose user functions' results are checked where they run (thread models: dsl.ts). */
const resultsChecked = new WeakSet<object>();

/** Marks a model whose properties already check their results (build.ts leaves it as it is). */
export function markResultsChecked<M extends object>(model: M): M {
  resultsChecked.add(model);
  return model;
}

/** True for a model marked by markResultsChecked. */
export function hasCheckedResults(model: object): boolean {
  return resultsChecked.has(model);
}

/** Why a lock-name function's result (not a declared lock's name) is wrong. */
export function lockNameProblem(r: unknown, declared: readonly string[]): string {
  if (typeof r !== 'string') return `the lock name function returned ${describeValue(r)}: return the name of a lock declared in 'locks' (${declared.join(', ')})`;
  const hint = suggest(r, declared);
  const known = declared.length ? `declared: ${declared.join(', ')}` : "the model declares none (add locks: { name: 'spinlock' | 'mutex' | 'rwsem' })";
  return `lock '${echo(r)}' is not declared in 'locks'${hint ? ` (did you mean '${hint}'?)` : ''}; ${known}`;
}
