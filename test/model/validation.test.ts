// A model is checked when it is built (src/model/definition.ts, params.ts, build.ts,
// thread-spec-check.ts): each mistake a model author makes gives one ModelError or ParamError
// naming model, thread and step and saying what to write — never a silently different model.
// The CLI runs of the same checks, one file per mistake, are in test/cli/bad-models.test.ts;
// these are the rest, in this process.
import { describe, expect, it } from 'vitest';
import { Record } from 'immutable';
import { bool, check, checkDefinition, int, oneOf, threadModel, type ModelDefinition, type ThreadModelSpec } from '../../src/index.ts';
import { buildModel } from '../../src/model/build.ts';
import { checkParamSpecs, parseParamArgs, resolveParams } from '../../src/model/params.ts';
import { describeValue, echo } from '../../src/model/describe.ts';

/** A well-formed specification to spoil one key at a time. */
function spec(over: Partial<ThreadModelSpec<number>> = {}): ThreadModelSpec<number> {
  return {
    name: 'm',
    shared: 0,
    locks: { ptl: 'spinlock', sem: 'rwsem' },
    threads: [
      {
        name: 't',
        steps: [
          { label: 'lock', acquire: 'ptl' },
          { label: 'inc', do: (c) => ({ shared: c.shared + 1 }) },
          { label: 'unlock', release: 'ptl', goto: 'done' },
        ],
      },
    ],
    ...over,
  };
}

const thread = (steps: unknown[], extra: object = {}) => [{ name: 't', steps, ...extra }] as never;

describe('threadModel checks its specification', () => {
  it('accepts a well-formed one', () => {
    expect(threadModel(spec()).name).toBe('m');
  });

  it.each([
    ['an unknown key of a thread', { threads: thread([{ label: 's' }], { deamon: true }) }, "model 'm', thread 't': unknown key 'deamon' (did you mean 'daemon'?); a thread's keys are name, locals, steps, daemon, fairness, group"],
    ['an unknown key of an invariant', { invariants: [{ name: 'i', check: () => null, read: ['x'] }] as never }, "model 'm': invariant 'i' has an unknown key 'read' (did you mean 'reads'?); its keys are name, check, reads"],
    ['a duplicate label', { threads: thread([{ label: 's' }, { label: 's' }]) }, "model 'm', thread 't', step 's': duplicate step label: labels must be unique within a thread"],
    ['a step labelled done', { threads: thread([{ label: 'done' }]) }, "model 'm', thread 't', step 'done': 'done' is reserved (goto: 'done' ends the thread) and cannot label a step"],
    ['a step without a label', { threads: thread([{ do: () => undefined }]) }, "model 'm', thread 't': step 1's label is undefined: give each step a label (a non-empty string)"],
    ['a goto to no step', { threads: thread([{ label: 'check', goto: 'mapp' }, { label: 'map' }]) }, "model 'm', thread 't', step 'check': goto 'mapp' (did you mean 'map'?) names no step of thread 't'; labels: check, map, or 'done'"],
    ['targets naming no step', { threads: thread([{ label: 's', targets: ['nowhere'] }]) }, "model 'm', thread 't', step 's': 'targets' names 'nowhere', which is no step of thread 't'"],
    ['two threads of one name', { threads: [{ name: 't', steps: [] }, { name: 't', steps: [] }] }, "model 'm', thread 't': thread names must be unique: two threads are named so"],
    ['a thread without steps', { threads: [{ name: 't' }] as never }, "model 'm', thread 't': 'steps' is undefined: write an array of steps, [{ label, … }, …]"],
    ['acquireRead of a spinlock', { threads: thread([{ label: 's', acquireRead: 'ptl' }]) }, "model 'm', thread 't', step 's': acquireRead needs an rwsem, 'ptl' is a spinlock: use acquire, or declare it 'rwsem'"],
    ['acquire and acquireRead of one rwsem in a step', { threads: thread([{ label: 's', acquire: 'sem', acquireRead: 'sem' }]) }, "model 'm', thread 't', step 's': acquires 'sem' twice in one step (an rwsem taken twice by one thread can deadlock): take it once"],
    ['a lock ref that is a number', { threads: thread([{ label: 's', release: 3 }]) }, "model 'm', thread 't', step 's': 'release' holds 3 (a number): write a lock name declared in 'locks', a function returning one, or an array of them"],
    ['a guard that is not a function', { threads: thread([{ label: 's', when: true }]) }, "model 'm', thread 't', step 's': 'when' is true: write a function"],
    ['maySleep as a string', { threads: thread([{ label: 's', maySleep: 'yes' }]) }, "model 'm', thread 't', step 's': 'maySleep' is 'yes' (a string): write a boolean or leave it out"],
    ['locks as an array', { locks: ['ptl'] as never }, "model 'm': 'locks' is an array: write { name: 'spinlock' | 'mutex' | 'rwsem', … }"],
    ['a lock kind with a capital', { locks: { l: 'Mutex' } as never }, "model 'm': lock 'l' has kind 'Mutex': a lock kind is 'spinlock', 'mutex' or 'rwsem' (did you mean 'mutex'?)"],
    ['two invariants of one name', { invariants: [{ name: 'i', check: () => null }, { name: 'i', check: () => null }] }, "model 'm': two invariants are named 'i': names must be unique (traces and --json name properties)"],
    ['an invariant without check', { invariants: [{ name: 'i' }] as never }, "model 'm': invariant 'i''s check is undefined: write check: (v) => null when fine, or a message saying what broke"],
    ['no threads', { threads: [] }, "model 'm': a model needs at least one thread"],
    ['locals holding a function', { threads: thread([{ label: 's' }], { locals: () => 1 }) }, "model 'm': the initial state: t.locals holds a function"],
  ])('%s', (_what, over, message) => {
    expect(() => threadModel(spec(over as Partial<ThreadModelSpec<number>>))).toThrow(message);
  });

  it('a nameless specification', () => {
    expect(() => threadModel({ ...spec(), name: '' })).toThrow("model '?': threadModel's name is an empty string: give the model a name (a non-empty string)");
  });

  it('a lock-name function naming an undeclared lock fails at the step that runs it, with a suggestion', async () => {
    const m = threadModel(spec({ threads: thread([{ label: 's', acquire: () => 'ptk' }, { label: 'u', release: 'ptl' }]) }));
    const r = await check(m);
    expect(r.status === 'error' && r.error.message).toBe("model 'm', thread 't', step 's': lock 'ptk' is not declared in 'locks' (did you mean 'ptl'?); declared: ptl, sem");
  });

  it("an effect's goto that is a number", async () => {
    const m = threadModel(spec({ threads: thread([{ label: 's', do: () => ({ goto: 1 }) }, { label: 'u' }]) }));
    const r = await check(m);
    expect(r.status === 'error' && r.error.message).toBe("model 'm', thread 't', step 's': the effect's goto is 1 (a number): return a step label of thread 't' (s, u) or 'done'");
  });

  it('a thread waiting for a lock it holds itself says so in the deadlock', async () => {
    const m = threadModel(spec({ threads: thread([{ label: 'a', acquire: 'ptl' }, { label: 'b', acquire: 'ptl' }]) }));
    const r = await check(m);
    expect(r.status === 'violated' && r.violation.message).toBe("no thread can move: t at 'b' waits for ptl, which it holds itself (a lock taken twice deadlocks)");
  });
});

const def = (over: object = {}): ModelDefinition =>
  ({ name: 'd', summary: 's', params: { n: int(1, 'threads', { min: 1 }) }, build: () => threadModel(spec()), ...over }) as ModelDefinition;

describe('a definition is checked when it is loaded', () => {
  it('accepts a well-formed one', () => {
    expect(() => checkDefinition(def(), 'd.ts')).not.toThrow();
  });

  it.each([
    ['not an object', 5, "model 'd.ts': the default export is 5 (a number), not a model definition: write export default defineModel({ name, summary, params, build })"],
    ['no name', { summary: 's', params: {}, build: () => null }, "model 'd.ts': the definition's name is undefined: give it a name (a non-empty string), as in export default defineModel({ name, summary, params, build })"],
    ['an unknown key', def({ expects: {} }), "model 'd': the definition has an unknown key 'expects' (did you mean 'expect'?); its keys are name, summary, description, kernel, params, expect, variants, mutants, build"],
    ['no summary', def({ summary: undefined }), "model 'd': the definition's summary is undefined: give a one-line summary (a string) for 'mmcheck list'"],
    ['build not a function', def({ build: {} }), "model 'd': the definition's build is an object: write build: (params) => threadModel({ … })"],
    ['an expected verdict misspelt', def({ expect: { p: 'hold' } }), "model 'd': expect['p'] is 'hold' (a string): write 'holds' or 'violated'"],
    ['a mutant setting an undeclared parameter', def({ mutants: [{ name: 'm1', description: 'x', params: { mutnat: 'a' }, breaks: 'p' }] }), "model 'd': mutant 1 ('m1') sets parameter 'mutnat', which the model does not declare; known: n"],
    ['a mutant without breaks', def({ mutants: [{ name: 'm1', description: 'x', params: {} }] }), "model 'd': mutant 1 ('m1'): its breaks is undefined: write a string"],
    ['a variant setting an undeclared parameter', def({ variants: [{ params: { paht: 'x' }, expect: {} }] }), "model 'd': variant 1 sets parameter 'paht', which the model does not declare; known: n"],
    ['a variant verdict misspelt', def({ variants: [{ params: { n: 2 }, expect: { p: 'violate' } }] }), "model 'd': variant 1: expect['p'] is 'violate' (a string): write 'holds' or 'violated'"],
  ])('%s', (_what, d, message) => {
    expect(() => checkDefinition(d, 'd.ts')).toThrow(message);
  });

  it('check() answers a malformed definition with an error result, not a throw', async () => {
    const r = await check(def({ params: undefined }));
    expect(r.status === 'error' && r.error.message).toBe("model 'd': the definition has no 'params': write `params: {}` for a model without parameters");
  });
});

describe('parameter specs and values', () => {
  it.each([
    [{ b: { ...bool(true, 'x'), default: 'yes' } }, "model 'd': parameter 'b' has default 'yes' (a string): a bool parameter's default is true or false"],
    [{ e: { ...oneOf(['a', 'b'], 'a', 'x'), default: 'c' } }, "model 'd': parameter 'e' has default 'c' (a string), which is not one of its values (a, b)"],
    [{ e: { ...oneOf(['a'], 'a', 'x'), values: [] } }, "model 'd': parameter 'e' has values an empty array: oneOf takes a non-empty array of strings"],
    [{ n: { ...int(1, 'x'), mn: 0 } }, "model 'd': parameter 'n' has an unknown key 'mn' (a int parameter has type, default, doc, min, max): declare it with int(default, doc), bool(default, doc) or oneOf(values, default, doc)"],
    [{ n: { type: 'integer', default: 1, doc: '' } }, "model 'd': parameter 'n' is declared as an object with type 'integer' (a string): declare it with int(default, doc), bool(default, doc) or oneOf(values, default, doc)"],
    [{ n: int(1.5, 'x') }, "model 'd': parameter 'n' has default 1.5 (a number): an int parameter's default is an integer"],
    [[], "model 'd': 'params' is an empty array: write an object of parameters, e.g. { faults: int(1, 'fault threads') }, or {} for none"],
  ])('%j', (specs, message) => {
    expect(() => checkParamSpecs(specs, 'd')).toThrow(message);
  });

  it('-p values are a record without a prototype: __proto__ is a key like any other', () => {
    const given = parseParamArgs(['__proto__=1', 'n=2']);
    expect(Object.keys(given)).toEqual(['__proto__', 'n']);
    expect(() => resolveParams({ n: int(1, 'x') }, given, 'd')).toThrow("unknown parameter '__proto__' for model 'd'; known: n");
    expect(resolveParams({ n: int(1, 'x') }, parseParamArgs(['n=2']), 'd').n).toBe(2);
  });
});

describe('build() and what it returns', () => {
  const Shared = Record({ x: 0 });
  it.each<[string, () => unknown, string]>([
    ['a model without initStates', () => ({ name: 'g', actions: () => [], next: () => 0, properties: [], formatAction: () => '' }), "model 'd': build() returned an object without initStates() (initStates is undefined): return threadModel({ … }), or an object implementing the Model interface (name, initStates, actions, next, properties, formatAction)"],
    ['no initial state', () => ({ name: 'g', initStates: () => [], actions: () => [], next: () => 0, properties: [], formatAction: () => '' }), "model 'd': initStates() returned an empty array: return a non-empty array of states"],
    ['an initial state holding an array', () => ({ name: 'g', initStates: () => [Shared({ x: [1] as never })], actions: () => [], next: () => 0, properties: [], formatAction: () => '' }), "model 'd': the initial state: x holds an array (use List)"],
    ['a property of an unknown kind', () => ({ name: 'g', initStates: () => [0], actions: () => [], next: () => 0, properties: [{ kind: 'safety', name: 'p' }], formatAction: () => '' }), "model 'd': build() returned a model with a property that is not { kind: 'invariant' | 'transition', name, check }, { kind: 'deadlock', name, isEnd, explain } or { kind: 'liveness', name, formulas }: an object"],
    ['a liveness property without formulas', () => ({ name: 'g', initStates: () => [0], actions: () => [], next: () => 0, properties: [{ kind: 'liveness', name: 'p' }], formatAction: () => '' }), "model 'd': build() returned a model with liveness property 'p': formulas is undefined: give an array of { form, what, p, q? }"],
    ['the definition itself', () => d, "model 'd': build() returned its own definition: return threadModel({ … }) or a Model"],
  ])('%s', (_what, build, message) => {
    d = def({ params: {}, build });
    expect(() => buildModel(d, {})).toThrow(message);
  });
  let d: ModelDefinition;
});

describe('a model written without the thread DSL has its results checked too', () => {
  // A counter 0 → 1 → 2 with one property of each kind, each returning something of the wrong type.
  const counter = (properties: unknown[]) =>
    def({ params: {}, build: () => ({ name: 'g', initStates: () => [0], actions: (s: number) => (s < 2 ? [1] : []), next: (s: number) => s + 1, properties, formatAction: () => 'inc' }) });
  it.each([
    [{ kind: 'invariant', name: 'small', check: (s: number) => s < 2 }, "model 'g': invariant 'small' returned true: return null when the state is fine, or a non-empty message saying what broke"],
    [{ kind: 'transition', name: 'step', check: () => '' }, "model 'g': transition property 'step' returned an empty string: return null when the state is fine, or a non-empty message saying what broke"],
    [{ kind: 'deadlock', name: 'deadlock freedom', isEnd: async () => true, explain: () => 'stuck' }, "model 'g': the deadlock property's isEnd returned a Promise: return true for an accepted end state, else false"],
  ])('%j', async (property, message) => {
    const r = await check(counter([property]));
    expect(r.status === 'error' && r.error.message).toBe(message);
  });

  it('and a well-formed one answers as before', async () => {
    const r = await check(counter([{ kind: 'invariant', name: 'small', check: (s: number) => (s < 2 ? null : `s is ${s}`) }]));
    expect(r.status === 'violated' && r.violation.message).toBe('s is 2');
  });

  // actions() returning a Set on the second state (not the initial one): met inside the search.
  const setOnSecond = (o: object = {}) =>
    check(def({ params: {}, build: () => ({ name: 'g', initStates: () => [0], actions: (s: number) => (s === 0 ? [1] : s < 2 ? new Set([1]) : []), next: (s: number) => s + 1, properties: [], formatAction: () => 'inc' }) }), o);
  it.each([
    ['the level search', { workers: 1 }],
    ['the level search with a per-transition hook', { workers: 1, onTransition: () => undefined }],
    ['the level search, 2 threads', { workers: 2 }],
  ])('actions() must return an array, on %s', async (_name, o) => {
    const r = await setOnSecond(o);
    expect(r.status === 'error' && r.error.message).toBe("model 'g': actions() returned a Set: return an array of the actions enabled in the state (empty when none is)");
  });
});

describe('values in messages', () => {
  it.each([
    [undefined, 'undefined'],
    [0, '0 (a number)'],
    ['', 'an empty string'],
    ['abc', "'abc' (a string)"],
    [Promise.resolve(1), 'a Promise'],
    [[1], 'an array'],
    [[], 'an empty array'],
    [Record({ a: 1 })(), 'an Immutable Record'],
    [new Map(), 'a Map'],
    [{}, 'an object'],
    [() => 1, 'a function'],
  ])('%s is %s', (v, text) => {
    expect(describeValue(v)).toBe(text);
  });

  it('long text is cut with its length', () => {
    expect(echo('x'.repeat(20))).toBe('x'.repeat(20));
    expect(echo('x'.repeat(100_000))).toBe(`${'x'.repeat(56)}… (100,000 characters)`);
  });
});
