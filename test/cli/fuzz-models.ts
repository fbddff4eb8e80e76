// Random thread-DSL model files for the fuzz test (fuzz.test.ts): a fast-check arbitrary of a
// model plan — parameters, definition, build, shared state, locks, threads of steps with
// guards, choices, effects and gotos, invariants, liveness — in which any part may be written
// as a careless user would write it (a misspelt key or lock kind, a guard returning a number,
// an async effect, a plain object in the state, code that throws…), and the file's source.
//
// Every variant of a part says what mmcheck must do with it: `good` (accepted), `static` (a
// mistake threadModel or the definition check must refuse before any search), `dynamic` (a
// mistake in a user function: an error whenever the function runs) or `unclear` (either is
// right; no verdict is asked). `mustFail` works out, from those, the plans mmcheck must refuse
// whatever the search does: a static mistake in a part the built model includes, or a dynamic
// one in code that certainly runs — every invariant on the initial state, and thread 0's
// first step there, which every lock being free leaves enabled unless its guard says no.
import fc from 'fast-check';

/** What mmcheck must do with a variant (see the file header). */
export type Verdict = 'good' | 'static' | 'dynamic' | 'unclear';

/** One way to write a part: its source, given the names around it. */
interface Variant {
  readonly verdict: Verdict;
  readonly src: (ctx: StepContext) => string;
  /** A guard true, or a choice non-empty, on the initial state (x = y = 0, locals 0). */
  readonly atInit?: boolean;
  /** Runs forever or never settles: only for runs with a time limit, in another process. */
  readonly hangs?: boolean;
}

/** Names a step's code may refer to. */
interface StepContext {
  /** Another label of the same thread (or 'done' when it has only this step). */
  readonly other: string;
}

const NO_CTX: StepContext = { other: 'done' };
const v = (verdict: Verdict, src: string | ((ctx: StepContext) => string), extra: Partial<Variant> = {}): Variant => ({
  verdict,
  src: typeof src === 'string' ? () => src : src,
  ...extra,
});

/** What a thrown value can be: an Error, a TypeError from a typo, and things that are not Errors. */
const THROWS = {
  'throws-error': "{ throw new Error('model code gave up'); }",
  'throws-string': "{ throw 'a string, not an Error'; }",
  'throws-null': '{ throw null; }',
  'throws-undefined': '{ throw undefined; }',
  'throws-object': '{ throw { code: 42 }; }',
  'throws-null-proto': '{ throw Object.create(null); }',
  'throws-multiline': "{ throw new RangeError('first line\\n    at nowhere (fake.ts:1:1)'); }",
  'type-error': '{ return (c as any).nope.deeper; }',
  'stack-overflow': '{ return deep(0); }',
  'exits': '{ return process.exit(3); }',
} as const;

const throwing = (params: string): Record<string, Variant> =>
  Object.fromEntries(Object.entries(THROWS).map(([k, body]) => [k, v('dynamic', `(${params}) => ${body}`)]));

/** Guards (`when`). */
export const GUARDS: Record<string, Variant> = {
  'x-not-2': v('good', "(c) => c.shared.get('x') !== 2", { atInit: true }),
  'local-not-1': v('good', '(c) => c.local !== 1', { atInit: true }),
  'y-is-1': v('good', "(c) => c.shared.get('y') === 1", { atInit: false }),
  'holds-nothing': v('good', "(c) => !c.holds('a') && !c.isLocked('m')", { atInit: true }),
  number: v('dynamic', "(c) => c.shared.get('x')"),
  string: v('dynamic', "() => 'yes'"),
  undefined: v('dynamic', '() => undefined'),
  null: v('dynamic', '() => null'),
  object: v('dynamic', '() => ({})'),
  async: v('dynamic', 'async () => true'),
  thenable: v('dynamic', '() => ({ then() {} })'),
  bigint: v('dynamic', '() => 1n'),
  symbol: v('dynamic', "() => Symbol('s')"),
  'not-a-function': v('static', 'true'),
  ...throwing('c'),
  hangs: v('unclear', '() => { for (;;) {} }', { hangs: true }),
};

/** Choices (`choose`). */
export const CHOICES: Record<string, Variant> = {
  'zero-one': v('good', '() => [0, 1]', { atInit: true }),
  'if-x': v('good', "(c) => (c.shared.get('x') > 0 ? [0, 1, 2] : [])", { atInit: false }),
  strings: v('good', "() => ['a', 'b']", { atInit: true }),
  number: v('dynamic', '() => 2'),
  undefined: v('dynamic', '() => undefined'),
  string: v('dynamic', "() => 'ab'"),
  null: v('dynamic', '() => null'),
  async: v('dynamic', 'async () => [0]'),
  set: v('dynamic', '() => new Set([0, 1])'),
  'array-like': v('dynamic', '() => ({ length: 2 })'),
  'immutable-list': v('dynamic', '() => List([0, 1])'),
  'undefined-choice': v('unclear', '() => [undefined]'),
  'function-choice': v('unclear', '() => [() => 1]'),
  'not-a-function': v('static', '[0, 1]'),
  ...throwing('c'),
};

/** Effects (`do`). */
export const EFFECTS: Record<string, Variant> = {
  'inc-x': v('good', "(c) => ({ shared: c.shared.set('x', (c.shared.get('x') + 1) % 3) })"),
  'y-from-choice': v('unclear', "(c, k: any) => ({ shared: c.shared.set('y', ((typeof k === 'number' ? k : 1) + c.shared.get('x')) % 3) })"),
  'flip-local': v('good', '(c) => ({ local: c.local === 1 ? 0 : 1 })'),
  'both': v('good', "(c) => ({ shared: c.shared.set('y', 2), local: 1 })"),
  nothing: v('good', '() => {}'),
  'returns-undefined': v('good', '() => undefined'),
  'goto-other': v('good', (ctx) => `(c) => (c.shared.get('x') === 1 ? { goto: '${ctx.other}' } : {})`),
  'reset': v('good', "(c) => ({ shared: c.shared.set('x', 0).set('y', 0) })"),
  float: v('good', "(c) => ({ shared: c.shared.set('y', c.shared.get('y') === 0.5 ? 0 : 0.5) })"),
  'string-value': v('good', "(c) => ({ shared: c.shared.set('y', c.shared.get('y') === 'a' ? 0 : 'a') })"),
  'negative-zero': v('good', "(c) => ({ shared: c.shared.set('x', -0) })"),
  'big-number': v('good', "(c) => ({ shared: c.shared.set('y', c.shared.get('y') === 2 ** 40 ? 0 : 2 ** 40) })"),
  infinity: v('good', "(c) => ({ shared: c.shared.set('y', c.shared.get('y') === Infinity ? 0 : Infinity) })"),
  'choice-into-state': v('unclear', "(c, k: any) => ({ shared: c.shared.set('y', k) })"),
  'shared-undefined': v('unclear', '() => ({ shared: undefined })'),
  'shared-null': v('unclear', '() => ({ shared: null })'),
  'unknown-record-key': v('unclear', "(c) => ({ shared: c.shared.set('z', 1) })"),
  async: v('dynamic', "async (c) => ({ shared: c.shared.set('x', 1) })"),
  'unknown-key': v('dynamic', "(c) => ({ share: c.shared.set('x', 1) })"),
  gotoo: v('dynamic', "() => ({ gotoo: 'done' })"),
  'immutable-value': v('dynamic', "(c) => c.shared.set('x', 1)"),
  'plain-shared': v('dynamic', '() => ({ shared: { x: 1, y: 0 } })'),
  'plain-in-record': v('dynamic', "(c) => ({ shared: c.shared.set('x', { v: 1 }) })"),
  'array-in-record': v('dynamic', "(c) => ({ shared: c.shared.set('x', [1]) })"),
  nan: v('dynamic', "(c) => ({ shared: c.shared.set('x', NaN) })"),
  'undefined-value': v('dynamic', "(c) => ({ shared: c.shared.set('x', undefined) })"),
  'function-value': v('dynamic', "(c) => ({ shared: c.shared.set('x', () => 1) })"),
  'bigint-value': v('dynamic', "(c) => ({ shared: c.shared.set('x', 1n) })"),
  'symbol-value': v('dynamic', "(c) => ({ shared: c.shared.set('x', Symbol('s')) })"),
  'date-value': v('dynamic', "(c) => ({ shared: c.shared.set('x', new Date(0)) })"),
  'local-array': v('dynamic', '() => ({ local: [0] })'),
  'local-plain': v('dynamic', '() => ({ local: { a: 1 } })'),
  'goto-unknown': v('dynamic', "() => ({ goto: 'nowhere' })"),
  'goto-number': v('dynamic', '() => ({ goto: 5 })'),
  'returns-number': v('dynamic', '() => 5'),
  'returns-string': v('dynamic', "() => 'done'"),
  'returns-null': v('dynamic', '() => null'),
  'returns-array': v('dynamic', '() => []'),
  'returns-true': v('dynamic', '() => true'),
  'returns-function': v('dynamic', '() => () => 1'),
  'not-a-function': v('static', "{ shared: 'x' }"),
  ...throwing('c'),
  hangs: v('unclear', '() => { for (;;) {} }', { hangs: true }),
};

/** Where a step goes next (`goto`). */
export const GOTOS: Record<string, Variant> = {
  other: v('good', (ctx) => `'${ctx.other}'`),
  done: v('good', "'done'"),
  function: v('good', (ctx) => `(c) => (c.local === 1 ? 'done' : '${ctx.other}')`),
  unknown: v('static', "'nowhere'"),
  number: v('static', '5'),
  'function-undefined': v('dynamic', '() => undefined'),
  'function-unknown': v('dynamic', "() => 'nowhere'"),
  'function-number': v('dynamic', '() => 1'),
  'function-async': v('dynamic', "async () => 'done'"),
};

/** A step's lock operations (keys and values as written). */
export const LOCK_OPS: Record<string, Variant> = {
  'acquire-a': v('good', "acquire: 'a'"),
  'release-a': v('unclear', "release: 'a'"),
  'section-m': v('good', "acquire: 'm', release: 'm'"),
  'read-r': v('good', "acquireRead: 'r'"),
  'release-r': v('unclear', "release: 'r'"),
  'acquire-fn': v('good', "acquire: () => 'm'"),
  'acquire-undeclared': v('static', "acquire: 'mmu_lok'"),
  'acquire-twice': v('static', "acquire: ['a', 'a']"),
  'read-of-spinlock': v('static', "acquireRead: 'a'"),
  'acquire-number': v('static', 'acquire: 5'),
  'acquire-fn-undeclared': v('dynamic', "acquire: () => 'zz'"),
  'acquire-fn-number': v('dynamic', 'acquire: () => 7'),
};

/** Other keys a step may carry. */
export const STEP_EXTRAS: Record<string, Variant> = {
  'may-sleep': v('good', 'maySleep: true'),
  end: v('good', 'end: true'),
  kernel: v('good', "kernel: 'do_thing', note: 'under no lock'"),
  aquire: v('static', "aquire: 'a'"),
  gotoo: v('static', "gotoo: 'done'"),
  'may-sleep-string': v('static', "maySleep: 'yes'"),
  'reads-string': v('static', "reads: 'x'"),
  'targets-unknown': v('static', "targets: ['nowhere']"),
};

/** A step's label, by where it is (`i`) in its thread. */
export const LABELS: Record<string, Variant> = {
  good: v('good', ''),
  duplicate: v('static', ''),
  missing: v('static', ''),
  number: v('static', ''),
  done: v('static', ''),
  empty: v('static', ''),
};

/** Initial locals of a thread. */
export const LOCALS: Record<string, Variant> = {
  zero: v('good', 'locals: 0'),
  omitted: v('good', ''),
  list: v('good', 'locals: List([0])'),
  plain: v('static', 'locals: { n: 0 }'),
  array: v('static', 'locals: [0]'),
  nan: v('static', 'locals: NaN'),
  'undefined': v('good', 'locals: undefined'),
};

/** Other keys of a thread. */
export const THREAD_EXTRAS: Record<string, Variant> = {
  daemon: v('good', 'daemon: true'),
  strong: v('good', "fairness: 'strong'"),
  unfair: v('good', "fairness: 'none'"),
  deamon: v('static', 'deamon: true'),
  'fairness-typo': v('static', "fairness: 'fair'"),
  'daemon-string': v('static', "daemon: 'yes'"),
};

/** Thread names, by index. */
export const THREAD_NAMES: Record<string, Variant> = {
  good: v('good', ''),
  duplicate: v('static', ''),
  missing: v('static', ''),
  empty: v('static', ''),
};

/** Invariant checks (run on the initial state, x = y = 0). */
export const INVARIANTS: Record<string, Variant> = {
  'x-and-y-2': v('good', "(v) => (v.shared.get('x') === 2 && v.shared.get('y') === 2 ? 'x and y are both 2' : null)"),
  never: v('good', '() => null'),
  'done-with-x-1': v('good', "(v) => (v.at('t0') === 'done' && v.shared.get('x') === 1 ? 't0 finished with x = 1' : null)"),
  'local-and-y': v('good', "(v) => (v.local(0) === 1 && v.shared.get('y') === 2 ? 't0 has local 1 and y is 2' : null)"),
  'holder': v('good', "(v) => (v.holder('a') !== null && v.shared.get('x') === 2 ? 'x is 2 under a' : null)"),
  true: v('dynamic', '() => true'),
  false: v('dynamic', '() => false'),
  zero: v('dynamic', '() => 0'),
  empty: v('dynamic', "() => ''"),
  object: v('dynamic', "() => ({ message: 'broken' })"),
  async: v('dynamic', 'async () => null'),
  undefined: v('dynamic', '() => undefined'),
  'unknown-thread': v('unclear', "(v) => (v.at('nobody') === 'x' ? 'nobody at x' : null)"),
  'not-a-function': v('static', "'x > 1'"),
  ...throwing('v'),
};

/** Liveness properties. */
export const LIVENESS: Record<string, Variant> = {
  'x-becomes-1': v('good', "{ name: 'x becomes 1', eventually: (v) => v.shared.get('x') === 1 }"),
  'y-leads-to-x': v('good', "{ name: 'y 2 leads to x 0', leadsTo: [(v) => v.shared.get('y') === 2, (v) => v.shared.get('x') === 0] }"),
  'returns-number': v('unclear', "{ name: 'x', eventually: (v) => v.shared.get('x') }"),
  'two-forms': v('static', "{ name: 'two', eventually: () => true, alwaysEventually: () => true }"),
  'no-form': v('static', "{ name: 'none' }"),
  'not-a-function': v('static', "{ name: 'nf', eventually: true }"),
};

/** The initial shared state. */
export const SHARED: Record<string, Variant> = {
  record: v('good', 'S()'),
  map: v('good', 'IMap({ x: 0, y: 0 })'),
  plain: v('static', '{ x: 0, y: 0 }'),
  undefined: v('static', 'undefined'),
  array: v('static', '[0, 0]'),
  'nan-field': v('static', 'S({ x: NaN })'),
  'function-field': v('static', 'S({ x: (() => 0) as any })'),
  seq: v('static', 'Seq({ x: 0, y: 0 })'),
};

/** The locks declared. */
export const LOCKS: Record<string, Variant> = {
  all: v('good', "locks: { a: 'spinlock', m: 'mutex', r: 'rwsem' },"),
  none: v('good', ''),
  misspelt: v('static', "locks: { a: 'spin_lock', m: 'mutex', r: 'rwsem' },"),
  capitalised: v('static', "locks: { a: 'Spinlock', m: 'mutex', r: 'rwsem' },"),
  'kind-number': v('static', "locks: { a: 1, m: 'mutex', r: 'rwsem' },"),
  array: v('static', "locks: ['a', 'm', 'r'],"),
};

/** Other keys of the specification. */
export const SPEC_EXTRAS: Record<string, Variant> = {
  'no-deadlock': v('good', 'deadlock: false,'),
  'no-progress': v('good', 'progress: false,'),
  'no-sleep-check': v('good', 'sleepCheck: false,'),
  strings: v('good', "strings: ['a'],"),
  invariant: v('static', 'invariant: [],'),
  'deadlock-string': v('static', "deadlock: 'no',"),
  'strings-number': v('static', 'strings: 5,'),
};

/** The definition's parameters (`n`: how many of the threads the model builds). */
export const PARAMS: Record<string, Variant> = {
  int: v('good', "params: { n: int(1, 'threads built', { min: 1, max: 3 }) },"),
  'int-and-bool': v('good', "params: { n: int(2, 'threads built', { min: 1, max: 3 }), verbose: bool(false, 'unused') },"),
  enum: v('good', "params: { n: int(1, 'threads built', { min: 1, max: 3 }), mode: oneOf(['a', 'b'], 'a', 'unused') },"),
  missing: v('static', ''),
  'bare-number': v('static', 'params: { n: 2 },'),
  'default-out-of-range': v('static', "params: { n: int(5, 'threads built', { min: 1, max: 3 }) },"),
  'enum-default-not-a-value': v('static', "params: { n: int(1, 'threads built', { min: 1, max: 3 }), mode: oneOf(['a', 'b'], 'c' as 'a', 'unused') },"),
  'float-default': v('static', "params: { n: int(1.5, 'threads built', { min: 1, max: 3 }) },"),
  'min-above-max': v('static', "params: { n: int(1, 'threads built', { min: 3, max: 1 }) },"),
  null: v('static', 'params: null,'),
  array: v('static', 'params: [],'),
};

/** Other keys of the definition. */
export const DEFINITION_EXTRAS: Record<string, Variant> = {
  description: v('good', "description: 'a generated model',"),
  'expect-holds': v('good', "expect: { 'deadlock freedom': 'holds' },"),
  'no-summary': v('static', '__NO_SUMMARY__'),
  'name-number': v('static', '__NAME_NUMBER__'),
  expects: v('static', 'expects: {},'),
  'expect-passes': v('static', "expect: { 'deadlock freedom': 'passes' as 'holds' },"),
  'mutant-undeclared-param': v('static', "mutants: [{ name: 'm', description: 'd', params: { zz: 1 }, breaks: 'deadlock freedom' }],"),
};

/** The definition's build function, given the specification's source. */
export const BUILDS: Record<string, Variant> = {
  good: v('good', ''),
  throws: v('static', ''),
  undefined: v('static', ''),
  async: v('static', ''),
  spec: v('static', ''),
  exits: v('static', ''),
};

/** Code at the file's top level. */
export const TOP_LEVEL: Record<string, Variant> = {
  none: v('good', ''),
  throws: v('static', "throw new Error('the model file gave up while loading');"),
  exits: v('static', 'process.exit(0);'),
  'syntax-error': v('static', 'const = ;'),
  'await-never': v('static', 'await new Promise(() => {});', { hangs: true }),
};

/** Parameter values given on the command line (`-p …`), beside the model's own `n`. */
export const PARAM_ARGS: Record<string, Variant> = {
  none: v('good', ''),
  'n=1': v('good', 'n=1'),
  'n=2': v('good', 'n=2'),
  'n=3': v('good', 'n=3'),
  'n=0': v('static', 'n=0'),
  'n=4': v('static', 'n=4'),
  'n=two': v('static', 'n=two'),
  'n=1.5': v('static', 'n=1.5'),
  'n=': v('static', 'n='),
  n: v('static', 'n'),
  'm=1': v('static', 'm=1'),
  'constructor=1': v('static', 'constructor=1'),
  '__proto__=1': v('static', '__proto__=1'),
  'toString=1': v('static', 'toString=1'),
  'n=1e0': v('unclear', 'n=1e0'),
  'n= 2': v('unclear', 'n= 2'),
  long: v('static', `n=${'9'.repeat(5000)}`),
};

/** One step of a plan: a variant name for each part (undefined: the part is left out). */
export interface StepPlan {
  readonly label: string;
  readonly guard?: string;
  readonly choose?: string;
  readonly effect?: string;
  readonly goto?: string;
  readonly locks?: string;
  readonly extra?: string;
}

export interface ThreadPlan {
  readonly name: string;
  readonly locals: string;
  readonly extra?: string;
  readonly steps: readonly StepPlan[];
}

/** A whole model file, as variant names. */
export interface ModelPlan {
  readonly top: string;
  readonly params: string;
  readonly definition?: string;
  readonly build: string;
  readonly shared: string;
  readonly locks: string;
  readonly specExtra?: string;
  readonly threads: readonly ThreadPlan[];
  readonly invariants: readonly { readonly name: string; readonly check: string }[];
  readonly liveness?: string;
  /** `-p` values for the run. */
  readonly paramArgs: string;
}

const names = (table: Record<string, Variant>, verdicts?: readonly Verdict[], hangs = false) =>
  Object.keys(table).filter((k) => (verdicts === undefined || verdicts.includes(table[k].verdict)) && (hangs || !table[k].hangs));

/**
 * A part: good most of the time (`goodWeight` to 1 against a mistake), else any variant;
 * left out with weight `absent` when the part is optional. Good variants come first, so
 * fast-check shrinks a failing plan towards good parts.
 */
function part(table: Record<string, Variant>, goodWeight: number, absent: number, hangs: boolean): fc.Arbitrary<string | undefined> {
  const good = names(table, ['good']);
  const rest = names(table, ['static', 'dynamic', 'unclear'], hangs);
  const arbs: fc.WeightedArbitrary<string | undefined>[] = [];
  if (absent > 0) arbs.push({ arbitrary: fc.constant(undefined), weight: absent });
  if (good.length > 0) arbs.push({ arbitrary: fc.constantFrom(...good), weight: goodWeight });
  if (rest.length > 0) arbs.push({ arbitrary: fc.constantFrom(...rest), weight: 1 });
  return fc.oneof(...arbs);
}
const required = (table: Record<string, Variant>, goodWeight: number, hangs: boolean) => part(table, goodWeight, 0, hangs) as fc.Arbitrary<string>;

/** Options of the arbitrary. */
export interface PlanOptions {
  /** How rarely a part is a mistake: `odds` good variants to one mistake (default 12). */
  readonly odds?: number;
  /** Include variants that never return (for runs in another process with a time limit). */
  readonly hangs?: boolean;
}

/** Random model plans; shrinking goes towards good parts, fewer threads, steps and invariants. */
export function modelPlan(options: PlanOptions = {}): fc.Arbitrary<ModelPlan> {
  const odds = options.odds ?? 12;
  const hangs = options.hangs ?? false;
  const step = fc.record({
    label: required(LABELS, odds * 2, false),
    guard: part(GUARDS, odds, odds, hangs),
    choose: part(CHOICES, odds, odds * 2, false),
    effect: part(EFFECTS, odds, odds / 2, hangs),
    goto: part(GOTOS, odds, odds * 2, false),
    locks: part(LOCK_OPS, odds, odds * 2, false),
    extra: part(STEP_EXTRAS, odds, odds * 2, false),
  });
  const thread = fc.record({
    name: required(THREAD_NAMES, odds * 3, false),
    locals: required(LOCALS, odds, false),
    extra: part(THREAD_EXTRAS, odds, odds * 3, false),
    steps: fc.array(step, { minLength: 1, maxLength: 4 }),
  });
  return fc.record({
    top: required(TOP_LEVEL, odds * 3, hangs),
    params: required(PARAMS, odds * 2, false),
    definition: part(DEFINITION_EXTRAS, odds, odds * 3, false),
    build: required(BUILDS, odds * 3, false),
    shared: required(SHARED, odds * 2, false),
    locks: required(LOCKS, odds, false),
    specExtra: part(SPEC_EXTRAS, odds, odds * 3, false),
    threads: fc.array(thread, { minLength: 1, maxLength: 3 }),
    invariants: fc.array(fc.record({ name: required({ good: v('good', ''), duplicate: v('static', ''), missing: v('static', '') }, odds * 3, false), check: required(INVARIANTS, odds, false) }), { maxLength: 2 }),
    liveness: part(LIVENESS, odds, odds * 3, false),
    paramArgs: required(PARAM_ARGS, odds, false),
  });
}

/** The label of step `i` of a thread as its plan writes it (undefined: no label key). */
function labelSource(s: StepPlan, i: number): string | undefined {
  switch (s.label) {
    case 'duplicate':
      return i === 0 ? "label: 's0'" : "label: 's0'";
    case 'missing':
      return undefined;
    case 'number':
      return `label: ${i}`;
    case 'done':
      return "label: 'done'";
    case 'empty':
      return "label: ''";
    default:
      return `label: 's${i}'`;
  }
}

function stepSource(s: StepPlan, i: number, count: number): string {
  const ctx: StepContext = { other: count > 1 ? `s${(i + 1) % count}` : 'done' };
  const parts: string[] = [];
  const label = labelSource(s, i);
  if (label !== undefined) parts.push(label);
  if (s.guard !== undefined) parts.push(`when: ${GUARDS[s.guard].src(ctx)}`);
  if (s.choose !== undefined) parts.push(`choose: ${CHOICES[s.choose].src(ctx)}`);
  if (s.effect !== undefined) parts.push(`do: ${EFFECTS[s.effect].src(ctx)}`);
  if (s.goto !== undefined) parts.push(`goto: ${GOTOS[s.goto].src(ctx)}`);
  if (s.locks !== undefined) parts.push(LOCK_OPS[s.locks].src(ctx));
  if (s.extra !== undefined) parts.push(STEP_EXTRAS[s.extra].src(ctx));
  return `{ ${parts.join(', ')} }`;
}

function threadSource(t: ThreadPlan, i: number): string {
  const parts: string[] = [];
  if (t.name === 'good') parts.push(`name: 't${i}'`);
  else if (t.name === 'duplicate') parts.push("name: 't0'");
  else if (t.name === 'empty') parts.push("name: ''");
  const locals = LOCALS[t.locals].src(NO_CTX);
  if (locals) parts.push(locals);
  if (t.extra !== undefined) parts.push(THREAD_EXTRAS[t.extra].src(NO_CTX));
  parts.push(`steps: [\n        ${t.steps.map((s, j) => stepSource(s, j, t.steps.length)).join(',\n        ')},\n      ]`);
  return `{ ${parts.join(', ')} }`;
}

/** The model file's source; `index` is the absolute path of mmcheck's src/index.ts. */
export function modelSource(plan: ModelPlan, index: string): string {
  const invariants = plan.invariants.map((inv, i) => {
    const name = inv.name === 'good' ? `name: 'inv${i}', ` : inv.name === 'duplicate' ? "name: 'inv0', " : '';
    return `{ ${name}check: ${INVARIANTS[inv.check].src(NO_CTX)} }`;
  });
  const spec = [
    "name: 'fuzzed',",
    `shared: ${SHARED[plan.shared].src(NO_CTX)},`,
    LOCKS[plan.locks].src(NO_CTX),
    plan.specExtra !== undefined ? SPEC_EXTRAS[plan.specExtra].src(NO_CTX) : '',
    `threads: ([\n      ${plan.threads.map(threadSource).join(',\n      ')},\n    ] as any[]).slice(0, p.n ?? 1),`,
    invariants.length > 0 ? `invariants: [${invariants.join(', ')}],` : '',
    plan.liveness !== undefined ? `liveness: [${LIVENESS[plan.liveness].src(NO_CTX)}],` : '',
  ]
    .filter(Boolean)
    .join('\n    ');
  const build = {
    good: `(p: any) => threadModel({\n    ${spec}\n  } as any)`,
    throws: "() => { throw new Error('cannot build this'); }",
    undefined: '() => undefined',
    async: `async (p: any) => threadModel({\n    ${spec}\n  } as any)`,
    spec: `(p: any) => ({\n    ${spec}\n  })`,
    exits: '() => process.exit(0)',
  }[plan.build];
  const extra = plan.definition !== undefined ? DEFINITION_EXTRAS[plan.definition].src(NO_CTX) : '';
  const definition = [
    extra === '__NAME_NUMBER__' ? 'name: 42,' : "name: 'fuzzed',",
    extra === '__NO_SUMMARY__' ? '' : "summary: 'a generated model',",
    PARAMS[plan.params].src(NO_CTX),
    extra.startsWith('__') ? '' : extra,
    `build: ${build},`,
  ]
    .filter(Boolean)
    .join('\n  ');
  return [
    '// Generated by test/cli/fuzz-models.ts.',
    "import { List, Map as IMap, Record, Seq } from 'immutable';",
    `import { bool, defineModel, int, oneOf, threadModel } from ${JSON.stringify(index)};`,
    'void List; void IMap; void Seq; void bool; void oneOf; void int;',
    "const S = Record({ x: 0 as any, y: 0 as any });",
    'const deep = (n: number): number => deep(n + 1) + 1;',
    'void deep;',
    TOP_LEVEL[plan.top].src(NO_CTX),
    `export default defineModel({\n  ${definition}\n} as any);`,
    '',
  ].join('\n');
}

/** The `-p` arguments of a plan's run. */
export function paramArgsOf(plan: ModelPlan): string[] {
  const a = PARAM_ARGS[plan.paramArgs].src(NO_CTX);
  return a === '' ? [] : ['-p', a];
}

/** How many threads the built model has, when its parameters are good (else undefined). */
function threadsBuilt(plan: ModelPlan): number | undefined {
  if (PARAMS[plan.params].verdict !== 'good') return undefined;
  const given = /^n=(\d)$/.exec(PARAM_ARGS[plan.paramArgs].src(NO_CTX));
  if (given) return Number(given[1]);
  if (PARAM_ARGS[plan.paramArgs].verdict !== 'good') return undefined;
  return plan.params === 'int-and-bool' ? 2 : 1;
}

/** Whether any variant of the plan never returns (the plan is then only run with a time limit). */
export function hangs(plan: ModelPlan): boolean {
  return TOP_LEVEL[plan.top].hangs === true || plan.threads.some((t) => t.steps.some((s) => (s.guard && GUARDS[s.guard].hangs) || (s.effect && EFFECTS[s.effect].hangs)));
}

/** A mistake mmcheck must refuse, and whether it is refused before any search (`build`). */
export interface Refusal {
  readonly why: string;
  readonly build: boolean;
}

/**
 * A variant's verdict in this plan: with no locks declared, a lock named in a step is a static
 * mistake, and one named by code (a lock-name function, `holds`, `holder`) a dynamic one; an
 * `expect` naming deadlock freedom is a static mistake in a model declaring `deadlock: false`.
 */
function verdictIn(plan: ModelPlan, table: Record<string, Variant>, name: string | undefined): Verdict | undefined {
  if (name === undefined) return undefined;
  const base = table[name].verdict;
  // An expect naming deadlock freedom, in a model that turns it off, names no property.
  if (table === DEFINITION_EXTRAS && name === 'expect-holds' && plan.specExtra === 'no-deadlock') return 'static';
  if (plan.locks === 'none') {
    if (table === LOCK_OPS) return name.startsWith('acquire-fn') ? 'dynamic' : 'static';
    if ((table === GUARDS && name === 'holds-nothing') || (table === INVARIANTS && name === 'holder')) return 'dynamic';
  }
  return base;
}

/**
 * The mistake of the plan mmcheck must refuse (exit 2) whatever its search does, or undefined
 * when it may accept it. See the file header.
 */
export function mustFail(plan: ModelPlan): Refusal | undefined {
  const atBuild = (why: string): Refusal => ({ why, build: true });
  const bad = (table: Record<string, Variant>, name: string | undefined) => verdictIn(plan, table, name) === 'static';
  if (bad(TOP_LEVEL, plan.top)) return atBuild(`top level: ${plan.top}`);
  if (bad(PARAMS, plan.params)) return atBuild(`params: ${plan.params}`);
  if (bad(DEFINITION_EXTRAS, plan.definition)) return atBuild(`definition: ${plan.definition}`);
  if (bad(PARAM_ARGS, plan.paramArgs) && PARAMS[plan.params].verdict === 'good') return atBuild(`-p ${plan.paramArgs}`);
  if (bad(BUILDS, plan.build)) return atBuild(`build: ${plan.build}`);
  const n = threadsBuilt(plan);
  if (n === undefined) return undefined;
  if (bad(SHARED, plan.shared)) return atBuild(`shared: ${plan.shared}`);
  if (bad(LOCKS, plan.locks)) return atBuild(`locks: ${plan.locks}`);
  if (bad(SPEC_EXTRAS, plan.specExtra)) return atBuild(`spec: ${plan.specExtra}`);
  if (bad(LIVENESS, plan.liveness)) return atBuild(`liveness: ${plan.liveness}`);
  const threads = plan.threads.slice(0, n);
  for (const [i, t] of threads.entries()) {
    if (bad(THREAD_NAMES, t.name) && !(t.name === 'duplicate' && i === 0)) return atBuild(`thread ${i}: name ${t.name}`);
    if (bad(LOCALS, t.locals)) return atBuild(`thread ${i}: locals ${t.locals}`);
    if (bad(THREAD_EXTRAS, t.extra)) return atBuild(`thread ${i}: ${t.extra}`);
    for (const [j, s] of t.steps.entries()) {
      const at = `thread ${i} step ${j}`;
      if (bad(LABELS, s.label) && !(s.label === 'duplicate' && j === 0)) return atBuild(`${at}: label ${s.label}`);
      for (const [table, name] of [[GUARDS, s.guard], [CHOICES, s.choose], [EFFECTS, s.effect], [GOTOS, s.goto], [LOCK_OPS, s.locks], [STEP_EXTRAS, s.extra]] as const) {
        if (bad(table, name)) return atBuild(`${at}: ${name}`);
      }
    }
  }
  for (const [i, inv] of plan.invariants.entries()) {
    if (inv.name !== 'good' && !(inv.name === 'duplicate' && i === 0)) return atBuild(`invariant ${i}: name ${inv.name}`);
    if (bad(INVARIANTS, inv.check)) return atBuild(`invariant ${i}: ${inv.check}`);
  }
  // Dynamic mistakes in code that certainly runs on the initial state.
  const atSearch = (why: string): Refusal => ({ why, build: false });
  const dynamic = (table: Record<string, Variant>, name: string | undefined) => verdictIn(plan, table, name) === 'dynamic';
  for (const inv of plan.invariants) if (dynamic(INVARIANTS, inv.check)) return atSearch(`invariant: ${inv.check}`);
  const first = threads[0].steps[0];
  if (dynamic(GUARDS, first.guard)) return atSearch(`thread 0 step 0: guard ${first.guard}`);
  if (first.guard !== undefined && GUARDS[first.guard].atInit !== true) return undefined;
  if (dynamic(LOCK_OPS, first.locks)) return atSearch(`thread 0 step 0: ${first.locks}`);
  if (first.locks !== undefined && verdictIn(plan, LOCK_OPS, first.locks) !== 'good') return undefined;
  if (dynamic(CHOICES, first.choose)) return atSearch(`thread 0 step 0: choose ${first.choose}`);
  if (first.choose !== undefined && CHOICES[first.choose].atInit !== true) return undefined;
  if (dynamic(EFFECTS, first.effect)) return atSearch(`thread 0 step 0: effect ${first.effect}`);
  if (first.effect !== undefined && verdictIn(plan, EFFECTS, first.effect) !== 'good') return undefined;
  if (dynamic(GOTOS, first.goto)) return atSearch(`thread 0 step 0: goto ${first.goto}`);
  return undefined;
}

/** Whether every part of the plan is written as it should be (such a model must be accepted). */
export function flawless(plan: ModelPlan): boolean {
  const good = (table: Record<string, Variant>, name: string | undefined) => name === undefined || verdictIn(plan, table, name) === 'good';
  return (
    good(TOP_LEVEL, plan.top) &&
    good(PARAMS, plan.params) &&
    good(DEFINITION_EXTRAS, plan.definition) &&
    good(BUILDS, plan.build) &&
    good(SHARED, plan.shared) &&
    good(LOCKS, plan.locks) &&
    good(SPEC_EXTRAS, plan.specExtra) &&
    good(LIVENESS, plan.liveness) &&
    good(PARAM_ARGS, plan.paramArgs) &&
    plan.threads.every(
      (t, i) =>
        (t.name === 'good' || (t.name === 'duplicate' && i === 0)) &&
        good(LOCALS, t.locals) &&
        good(THREAD_EXTRAS, t.extra) &&
        t.steps.every((s, j) => (s.label === 'good' || (s.label === 'duplicate' && j === 0)) && good(GUARDS, s.guard) && good(CHOICES, s.choose) && good(EFFECTS, s.effect) && good(GOTOS, s.goto) && good(LOCK_OPS, s.locks) && good(STEP_EXTRAS, s.extra)),
    ) &&
    plan.invariants.every((inv, i) => (inv.name === 'good' || (inv.name === 'duplicate' && i === 0)) && good(INVARIANTS, inv.check))
  );
}
