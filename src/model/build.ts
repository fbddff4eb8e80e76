// Building a model from its definition, checked: parameters resolved, `build()` run with
// process.exit turned into an error, and what it returns checked to be a model whose initial
// states are valid — before any search, with the same messages on every engine and thread.
import type { ModelDefinition } from './definition.ts';
import { FAIRNESS_KINDS, type Model, type Property } from './model.ts';
import { ModelError, errorText } from './errors.ts';
import { resolveParams, type ParamSpecs } from './params.ts';
import { expectKeysProblem } from '../explore/expectations.ts';
import { describeValue, isPlainObject, isThenable } from './describe.ts';
import { hasCheckedResults, invariantProblem } from './step-results.ts';
import { ModelExitError, withExitGuardSync } from '../explore/exit-guard.ts';
import { InvalidStateError, validateState } from '../state/validate.ts';
// A Record key a model mistypes is an error (strict-records.ts), wherever a model is built.
import './strict-records.ts';

const MODEL_FUNCTIONS = ['initStates', 'actions', 'next', 'formatAction'] as const;
/** Each kind of property and the functions it must have (tsc checks every kind is here). */
const PROPERTY_KINDS: Readonly<Record<string, readonly string[]>> = {
  invariant: ['check'],
  transition: ['check'],
  deadlock: ['isEnd', 'explain'],
  // Its functions are in its formulas (checkLiveness).
  liveness: [],
} satisfies Record<Property<unknown, unknown>['kind'], readonly string[]>;

/** `p` with its results checked each time it runs: null or a non-empty message; isEnd a boolean. */
function checkedProperty(p: Property<unknown, unknown>, model: string): Property<unknown, unknown> {
  const message = (r: unknown, what: string): string | null => {
    if (r === null || (typeof r === 'string' && r !== '')) return r;
    throw new ModelError({ model }, invariantProblem(r, p.name, what));
  };
  switch (p.kind) {
    case 'invariant':
      return { ...p, check: (s: unknown) => message(p.check(s), 'invariant') };
    case 'transition':
      return { ...p, check: (s: unknown, a: unknown, n: unknown) => message(p.check(s, a, n), 'transition property') };
    case 'deadlock':
      return {
        ...p,
        isEnd: (s: unknown) => {
          const r = p.isEnd(s);
          if (typeof r !== 'boolean') throw new ModelError({ model }, `the deadlock property's isEnd returned ${describeValue(r)}: return true for an accepted end state, else false`);
          return r;
        },
      };
    case 'liveness': {
      const truth = (fn: (s: unknown) => boolean, role: string) => (s: unknown) => {
        const r = fn(s);
        if (typeof r !== 'boolean') throw new ModelError({ model }, `liveness property '${p.name}': ${role} returned ${describeValue(r)}: return true or false`);
        return r;
      };
      return { ...p, formulas: p.formulas.map((f) => ({ ...f, p: truth(f.p, 'p'), ...(f.q !== undefined ? { q: truth(f.q, 'q') } : {}) })) };
    }
  }
}

/** Calls of actions() whose result is compared with the model's `actionParts` (the first states a search meets). */
const PARTS_COMPARED = 64;

/**
 * `model.actions` with its result checked each time it runs: an array (a Promise, a number or
 * an iterable other than an array was once met deep in the search as `TypeError:
 * again.every is not a function`). A model with `actionParts` has its enabled actions
 * defined by them, on every engine: the parts' actions concatenated, each part's result
 * checked likewise; the model's own actions() must list the same, which is compared on the
 * first calls.
 */
function checkedActions(model: Model<any, any>): (state: unknown) => readonly unknown[] {
  const arrayOf = (r: unknown, what: string): readonly unknown[] => {
    if (Array.isArray(r)) return r;
    const found = isThenable(r) ? `a Promise (${what} must be synchronous)` : describeValue(r);
    throw new ModelError({ model: model.name }, `${what} returned ${found}: return an array of the actions enabled in the state (empty when none is)`);
  };
  const parts = model.actionParts;
  if (parts === undefined) return (state: unknown) => arrayOf(model.actions(state), 'actions()');
  let compared = 0;
  return (state: unknown) => {
    const out: unknown[] = [];
    for (let p = 0; p < parts.count; p++) out.push(...arrayOf(parts.actions(state, p), `actionParts.actions(state, ${p})`));
    if (compared < PARTS_COMPARED) {
      compared++;
      const own = arrayOf(model.actions(state), 'actions()');
      if (own.length !== out.length || own.some((a, i) => !Object.is(a, out[i]))) {
        const list = (xs: readonly unknown[]) => `[${xs.map((a) => model.formatAction(state, a)).join(', ')}]`;
        throw new ModelError({ model: model.name }, `actions() lists ${list(own)} where its actionParts list ${list(out)}: actions() must be the parts' actions, part by part, in order`);
      }
    }
    return out;
  };
}

/**
 * `model` with every property's results, and its actions() result, checked where they run. A
 * thread model checks its own (dsl.ts) and is returned as it is; any other gets a view whose
 * properties and actions() check.
 */
function withCheckedResults(model: Model<any, any>): Model<any, any> {
  if (hasCheckedResults(model)) return model;
  const properties = model.properties.map((p) => checkedProperty(p, model.name));
  const actions = checkedActions(model);
  // A plain object is copied (so `{ ...model }` still copies it whole); a class instance keeps
  // its prototype, and with it its methods and their `this`.
  if (isPlainObject(model)) return { ...model, properties, actions };
  return Object.create(model, { properties: { value: properties, enumerable: true }, actions: { value: actions, enumerable: true } }) as Model<any, any>;
}
const HOW = 'return threadModel({ … }), or an object implementing the Model interface (name, initStates, actions, next, properties, formatAction)';

/**
 * Checks that `built` is a model (the Model interface's functions and properties) and that its
 * initial states hold only Immutable values and primitives. `model` names it in errors; `said`
 * introduces what was found ("build() returned", "the model is"). Returns it typed.
 */
export function checkModel(built: unknown, model: string, said = 'the model is'): Model<any, any> {
  const fail = (problem: string): never => {
    throw new ModelError({ model }, problem);
  };
  if (typeof built !== 'object' || built === null) fail(`${said} ${describeValue(built)}: ${HOW}`);
  const m = built as Record<string, unknown>;
  if (isPlainObject(m) && 'threads' in m && !('initStates' in m)) fail(`${said} a thread-model specification, not a model: wrap it in threadModel({ … })`);
  if (typeof m.name !== 'string') fail(`${said} an object without a name (name is ${describeValue(m.name)}): ${HOW}`);
  for (const f of MODEL_FUNCTIONS) if (typeof m[f] !== 'function') fail(`${said} an object without ${f}() (${f} is ${describeValue(m[f])}): ${HOW}`);
  if (!Array.isArray(m.properties)) fail(`${said} an object whose properties are ${describeValue(m.properties)}: give an array (empty when the model checks nothing)`);
  for (const p of m.properties as unknown[]) {
    const prop = p as Record<string, unknown>;
    if (typeof prop === 'object' && prop !== null && prop.kind === 'liveness') {
      checkLiveness(prop, fail, said);
      continue;
    }
    const needs = typeof prop === 'object' && prop !== null && typeof prop.kind === 'string' ? PROPERTY_KINDS[prop.kind] : undefined;
    if (needs === undefined || typeof prop.name !== 'string' || needs.some((f) => typeof prop[f] !== 'function')) {
      fail(`${said} a model with a property that is not { kind: 'invariant' | 'transition', name, check }, { kind: 'deadlock', name, isEnd, explain } or { kind: 'liveness', name, formulas }: ${describeValue(p)}`);
    }
  }
  if (m.processes !== undefined) checkProcesses(m.processes, fail, said);
  if (m.actionParts !== undefined) {
    const parts = m.actionParts as Record<string, unknown>;
    const ok = typeof parts === 'object' && parts !== null && Number.isInteger(parts.count) && (parts.count as number) >= 1 && typeof parts.actions === 'function';
    if (!ok) fail(`${said} a model whose actionParts is not { count (a positive integer), actions(state, part) }: ${describeValue(m.actionParts)}`);
  }
  let inits: unknown;
  try {
    inits = (m.initStates as () => unknown)();
  } catch (e) {
    if (e instanceof ModelError) throw e;
    fail(`initStates() threw: ${errorText(e)}`);
  }
  if (!Array.isArray(inits) || inits.length === 0) fail(`initStates() returned ${describeValue(inits)}: return a non-empty array of states`);
  (inits as unknown[]).forEach((s, i) => {
    try {
      validateState(s);
    } catch (e) {
      if (!(e instanceof InvalidStateError)) throw e;
      fail(`${(inits as unknown[]).length > 1 ? `initial state ${i + 1}` : 'the initial state'}: ${e.message}`);
    }
  });
  return withCheckedResults(built as Model<any, any>);
}

/** Checks a liveness property: a name and formulas { form, what, p, q for leadsTo }. */
function checkLiveness(prop: Record<string, unknown>, fail: (problem: string) => never, said: string): void {
  const what = `${said} a model with liveness property ${typeof prop.name === 'string' ? `'${prop.name}'` : describeValue(prop.name)}`;
  if (typeof prop.name !== 'string') fail(`${what}: give it a name (a string)`);
  if (!Array.isArray(prop.formulas)) fail(`${what}: formulas is ${describeValue(prop.formulas)}: give an array of { form, what, p, q? }`);
  for (const f of prop.formulas as unknown[]) {
    const x = f as Record<string, unknown>;
    const ok =
      typeof x === 'object' && x !== null && ['eventually', 'alwaysEventually', 'leadsTo'].includes(x.form as string) && typeof x.what === 'string' && typeof x.p === 'function' && (x.form !== 'leadsTo' || typeof x.q === 'function');
    if (!ok) fail(`${what}: a formula is not { form: 'eventually' | 'alwaysEventually' | 'leadsTo', what, p, q (leadsTo) }: ${describeValue(f)}`);
  }
}

/** Checks `processes`: names, a fairness per name, and `of`. */
function checkProcesses(v: unknown, fail: (problem: string) => never, said: string): void {
  const p = v as Record<string, unknown>;
  const ok =
    typeof p === 'object' && p !== null && Array.isArray(p.names) && p.names.every((n) => typeof n === 'string') && Array.isArray(p.fairness) && p.fairness.length === p.names.length && p.fairness.every((f) => FAIRNESS_KINDS.includes(f)) && typeof p.of === 'function';
  if (!ok) fail(`${said} a model whose processes are not { names, fairness: one of ${FAIRNESS_KINDS.join('/')} per name, of(state, action) }: ${describeValue(v)}`);
}

/** True when resolved parameter `values` are all the definition's defaults (what its `expect` speaks of). */
export function hasDefaultParams(specs: ParamSpecs, values: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(specs).every(([k, spec]) => values[k] === spec.default);
}

/** Throws a ModelError when `def.expect` names a property `model` (built with the defaults) does not have. */
export function checkExpectKeys(def: ModelDefinition, model: Model<any, any>): void {
  if (def.expect === undefined) return;
  const problem = expectKeysProblem(def.expect, model.properties.map((p) => p.name));
  if (problem !== null) throw new ModelError({ model: def.name }, problem);
}

/**
 * Builds a model from its definition with the given parameters (defaults filled in). Throws
 * ParamError for unknown or ill-typed parameters and ModelError for a model that fails to
 * build: `build()` throwing, exiting the process, returning nothing, a Promise, the
 * specification instead of `threadModel(spec)`, or a model with an invalid initial state;
 * built with its default parameters, one whose `expect` names a property it does not have.
 *
 * @example
 *   const model = buildModel(kvm, { faults: '2' });
 */
export function buildModel(def: ModelDefinition, params: Readonly<Record<string, unknown>> = {}): Model<any, any> {
  const values = resolveParams(def.params, params, def.name);
  let built: unknown;
  try {
    built = withExitGuardSync(() => def.build(values as never));
  } catch (e) {
    if (e instanceof ModelError) throw e;
    if (e instanceof ModelExitError) {
      throw new ModelError({ model: def.name }, `build() called process.exit(${e.exitCode}): a model must not exit the process; throw an Error to refuse parameters`, { cause: e });
    }
    throw new ModelError({ model: def.name }, `build() threw: ${errorText(e)}`, { cause: e });
  }
  if (built === undefined || built === null) throw new ModelError({ model: def.name }, `build() returned ${describeValue(built)}: return the model, e.g. \`build: (p) => threadModel({ … })\``);
  if (isThenable(built)) {
    throw new ModelError({ model: def.name }, "build() returned a Promise: build must be synchronous (do asynchronous work at the module's top level, before defineModel)");
  }
  if (built === def) throw new ModelError({ model: def.name }, 'build() returned its own definition: return threadModel({ … }) or a Model');
  const model = checkModel(built, def.name, 'build() returned');
  // The expectations speak of the model with its defaults: checked whenever it is built so.
  if (hasDefaultParams(def.params, values)) checkExpectKeys(def, model);
  return model;
}
