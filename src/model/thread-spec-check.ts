// Checks a thread-model specification when threadModel() builds it, before any search: every
// key known (a misspelt `aquire` or `invariant` would be silently ignored), lock kinds, thread
// names, step labels, gotos, lock references, and the initial state (shared state and locals
// validated as every later state is). Each error is one ModelError naming model, thread and
// step and saying what to write instead.
import type { Branch, InvariantSpec, LockKind, Step, ThreadModelSpec, ThreadSpec } from './thread-spec.ts';
import { FAIRNESS_KINDS, type Fairness } from './model.ts';
import { ModelError, type ModelLocation } from './errors.ts';
import { suggest } from './params.ts';
import { describeValue, echo, isPlainObject, unknownKeys } from './describe.ts';
import { lockNameProblem } from './step-results.ts';
import { InvalidStateError, validateState } from '../state/validate.ts';

/** The lock kinds, in the order messages list them. */
export const LOCK_KINDS: readonly LockKind[] = ['spinlock', 'mutex', 'rwsem'];

/** `goto: DONE` ends a thread (dsl.ts re-exports it). */
export const DONE = 'done';

/** Most threads a model may have (rwsem reader masks use one bit per thread). */
export const MAX_THREADS = 30;

// Every key each part of a specification may have. tsc checks each list against its interface
// both ways, so a key added to the DSL must be added here (or every model using it is refused).
type Complete<K, L> = [Exclude<K, L>] extends [never] ? true : never;
const SPEC_KEYS = ['name', 'shared', 'locks', 'threads', 'invariants', 'deadlock', 'sleepCheck', 'assertions', 'progress', 'liveness', 'sharedToJSON', 'strings'] as const satisfies readonly (keyof ThreadModelSpec<unknown>)[];
const THREAD_KEYS = ['name', 'locals', 'steps', 'daemon', 'fairness', 'group'] as const satisfies readonly (keyof ThreadSpec<unknown>)[];
const STEP_KEYS = [
  'label',
  'kernel',
  'note',
  'acquire',
  'acquireRead',
  'tryAcquire',
  'tryAcquireRead',
  'release',
  'maySleep',
  'end',
  'when',
  'choose',
  'do',
  'branches',
  'goto',
  'reads',
  'writes',
  'updates',
  'targets',
] as const satisfies readonly (keyof Step<unknown, unknown>)[];
const BRANCH_KEYS = ['name', 'kernel', 'note', 'when', 'acquire', 'acquireRead', 'release', 'maySleep', 'do', 'goto'] as const satisfies readonly (keyof Branch<unknown, unknown>)[];
const INVARIANT_KEYS = ['name', 'check', 'reads'] as const satisfies readonly (keyof InvariantSpec<unknown>)[];
const complete: [
  Complete<keyof ThreadModelSpec<unknown>, (typeof SPEC_KEYS)[number]>,
  Complete<keyof ThreadSpec<unknown>, (typeof THREAD_KEYS)[number]>,
  Complete<keyof Step<unknown, unknown>, (typeof STEP_KEYS)[number]>,
  Complete<keyof InvariantSpec<unknown>, (typeof INVARIANT_KEYS)[number]>,
  Complete<keyof Branch<unknown, unknown>, (typeof BRANCH_KEYS)[number]>,
] = [true, true, true, true, true];
void complete;

/** `'x' (did you mean 'y'?)` when a close name exists, else `'x'`. */
function named(x: string, among: readonly string[]): string {
  const hint = suggest(x, among);
  return `'${echo(x)}'${hint ? ` (did you mean '${hint}'?)` : ''}`;
}

/** Throws at the first key of `o` not in `known`: `<unknown> 'x' (did you mean 'y'?); <whose> a, b, c`. */
function checkKeys(o: Record<string, unknown>, known: readonly string[], at: ModelLocation, unknown: string, whose: string): void {
  const extra = unknownKeys(o, known);
  if (extra.length > 0) throw new ModelError(at, `${unknown} ${named(extra[0], known)}; ${whose} ${known.join(', ')}`);
}

function checkStrings(v: unknown, at: ModelLocation, key: string): void {
  if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) {
    throw new ModelError(at, `'${key}' is ${describeValue(v)}: write an array of strings`);
  }
}

function checkOptional(v: unknown, type: 'boolean' | 'string' | 'function', at: ModelLocation, key: string): void {
  if (v !== undefined && typeof v !== type) throw new ModelError(at, `'${key}' is ${describeValue(v)}: write a ${type}${type === 'function' ? '' : ' or leave it out'}`);
}

/** Checks a step's acquire / acquireRead / release refs: names declared, each a string or a function. */
function checkLockRefs(step: Step<unknown, unknown> | Branch<unknown, unknown>, key: 'acquire' | 'acquireRead' | 'tryAcquire' | 'tryAcquireRead' | 'release', locks: Readonly<Record<string, LockKind>>, at: ModelLocation): string[] {
  const refs = (step as Step<unknown, unknown>)[key];
  if (refs === undefined) return [];
  const list = Array.isArray(refs) ? refs : [refs];
  const names: string[] = [];
  const declared = Object.keys(locks);
  for (const r of list) {
    if (typeof r === 'function') continue;
    if (typeof r !== 'string') throw new ModelError(at, `'${key}' holds ${describeValue(r)}: write a lock name declared in 'locks', a function returning one, or an array of them`);
    if (!Object.hasOwn(locks, r)) throw new ModelError(at, lockNameProblem(r, declared));
    if ((key === 'acquireRead' || key === 'tryAcquireRead') && locks[r] !== 'rwsem') {
      throw new ModelError(at, `${key} needs an rwsem, '${r}' is a ${locks[r]}: use ${key === 'acquireRead' ? 'acquire' : 'tryAcquire'}, or declare it 'rwsem'`);
    }
    names.push(r);
  }
  return names;
}

function checkStep(step: unknown, index: number, thread: string, labels: readonly string[], locks: Readonly<Record<string, LockKind>>, model: string): void {
  const threadAt: ModelLocation = { model, thread };
  if (!isPlainObject(step)) throw new ModelError(threadAt, `step ${index + 1} is ${describeValue(step)}: write { label, … }`);
  const s = step as Step<unknown, unknown> & Record<string, unknown>;
  const at: ModelLocation = { model, thread, step: typeof s.label === 'string' ? s.label : undefined };
  checkKeys(s, STEP_KEYS, at, 'unknown key', "a step's keys are");
  for (const key of ['kernel', 'note'] as const) checkOptional(s[key], 'string', at, key);
  checkOptional(s.maySleep, 'boolean', at, 'maySleep');
  checkOptional(s.end, 'boolean', at, 'end');
  for (const key of ['when', 'choose', 'do'] as const) checkOptional(s[key], 'function', at, key);
  for (const key of ['reads', 'writes', 'updates', 'targets'] as const) checkStrings(s[key], at, key);
  checkGoto(s.goto, at, thread, labels, '');
  for (const t of s.targets ?? []) {
    if (t !== DONE && !labels.includes(t)) throw new ModelError(at, `'targets' names ${named(t, labels)}, which is no step of thread '${thread}'`);
  }
  for (const key of ['tryAcquire', 'tryAcquireRead'] as const) {
    if (Array.isArray(s[key])) throw new ModelError(at, `'${key}' holds an array: a trylock takes one lock (write one name, or a function returning one)`);
  }
  if (s.tryAcquire !== undefined && s.tryAcquireRead !== undefined) throw new ModelError(at, "has both 'tryAcquire' and 'tryAcquireRead': one trylock per step (its result is `acquired`)");
  const taken = [
    ...checkLockRefs(s, 'acquire', locks, at),
    ...checkLockRefs(s, 'acquireRead', locks, at),
    ...checkLockRefs(s, 'tryAcquire', locks, at),
    ...checkLockRefs(s, 'tryAcquireRead', locks, at),
  ];
  checkLockRefs(s, 'release', locks, at);
  checkTwice(taken, locks, at, '');
  if (s.branches !== undefined) checkBranches(s, thread, labels, locks, at, taken);
}

/** Throws when a goto (of a step, or of `branch`: ' in branch x') names no label of the thread. */
function checkGoto(goto: unknown, at: ModelLocation, thread: string, labels: readonly string[], branch: string): void {
  if (goto === undefined || typeof goto === 'function') return;
  if (typeof goto !== 'string') throw new ModelError(at, `'goto'${branch} is ${describeValue(goto)}: write a step label of thread '${thread}', '${DONE}', or a function returning one`);
  if (goto !== DONE && !labels.includes(goto)) throw new ModelError(at, `goto ${named(goto, labels)}${branch} names no step of thread '${thread}'; labels: ${labels.join(', ')}, or '${DONE}'`);
}

/** Throws when one lock appears twice among `taken` (the locks one step, with its branch, takes). */
function checkTwice(taken: readonly string[], locks: Readonly<Record<string, LockKind>>, at: ModelLocation, branch: string): void {
  const twice = taken.find((l, i) => taken.indexOf(l) !== i);
  if (twice !== undefined) throw new ModelError(at, `${branch ? `branch ${branch} ` : ''}${twiceText(twice, locks[twice])}`);
}

/** Most branches a step may have (the DSL's action encoding keeps 255 choices a step). */
const MAX_BRANCHES = 255;

/** Checks a step's `branches`: a non-empty array of { name?, when?, acquire?, …, do?, goto? }, with unique names. */
function checkBranches(s: Step<unknown, unknown>, thread: string, labels: readonly string[], locks: Readonly<Record<string, LockKind>>, at: ModelLocation, stepTaken: readonly string[]): void {
  const bs = s.branches as unknown;
  if (!Array.isArray(bs) || bs.length === 0) throw new ModelError(at, `'branches' is ${describeValue(bs)}: write a non-empty array of { name?, when?, acquire?, release?, do?, goto? }`);
  if (bs.length > MAX_BRANCHES) throw new ModelError(at, `'branches' has ${bs.length} branches; at most ${MAX_BRANCHES}`);
  for (const key of ['choose', 'do'] as const) {
    if (s[key] !== undefined) throw new ModelError(at, `a step with 'branches' has no '${key}' of its own: ${key === 'do' ? "give each branch its own 'do'" : "write one branch per option"}`);
  }
  const names: string[] = [];
  bs.forEach((b: unknown, k: number) => {
    if (!isPlainObject(b)) throw new ModelError(at, `branch ${k + 1} is ${describeValue(b)}: write { name?, when?, acquire?, release?, do?, goto? }`);
    const branch = b as Branch<unknown, unknown> & Record<string, unknown>;
    if (branch.name !== undefined && (typeof branch.name !== 'string' || branch.name.length === 0)) throw new ModelError(at, `branch ${k + 1}'s name is ${describeValue(branch.name)}: write a non-empty string or leave it out`);
    const name = branch.name ?? String(k + 1);
    if (names.includes(name)) throw new ModelError(at, `two branches are named '${echo(name)}': names must be unique within a step (traces show them)`);
    names.push(name);
    const which = `'${echo(name)}'`;
    checkKeys(branch, BRANCH_KEYS, at, `branch ${which} has an unknown key`, "a branch's keys are");
    for (const key of ['kernel', 'note'] as const) checkOptional(branch[key], 'string', at, key);
    checkOptional(branch.maySleep, 'boolean', at, 'maySleep');
    for (const key of ['when', 'do'] as const) checkOptional(branch[key], 'function', at, key);
    checkGoto(branch.goto, at, thread, labels, ` (in branch ${which})`);
    const taken = [...stepTaken, ...checkLockRefs(branch, 'acquire', locks, at), ...checkLockRefs(branch, 'acquireRead', locks, at)];
    checkLockRefs(branch, 'release', locks, at);
    checkTwice(taken, locks, at, which);
  });
}

/** The message for a step that takes one lock twice. */
export function twiceText(lock: string, kind: LockKind): string {
  const why = kind === 'spinlock' ? 'a spinlock taken twice deadlocks' : kind === 'mutex' ? 'a mutex taken twice deadlocks' : 'an rwsem taken twice by one thread can deadlock';
  return `acquires '${lock}' twice in one step (${why}): take it once`;
}

function checkThread(t: unknown, index: number, locks: Readonly<Record<string, LockKind>>, model: string, seen: Set<string>): void {
  if (!isPlainObject(t)) throw new ModelError({ model }, `thread ${index + 1} is ${describeValue(t)}: write { name, steps, locals? }`);
  const thread = t as ThreadSpec<unknown> & Record<string, unknown>;
  if (typeof thread.name !== 'string' || thread.name.length === 0) {
    throw new ModelError({ model }, `thread ${index + 1}'s name is ${describeValue(thread.name)}: give each thread a name (a non-empty string)`);
  }
  const at: ModelLocation = { model, thread: thread.name };
  if (seen.has(thread.name)) throw new ModelError(at, 'thread names must be unique: two threads are named so');
  seen.add(thread.name);
  checkKeys(thread, THREAD_KEYS, at, 'unknown key', "a thread's keys are");
  checkOptional(thread.daemon, 'boolean', at, 'daemon');
  if (thread.fairness !== undefined && !FAIRNESS_KINDS.includes(thread.fairness)) {
    const shown = typeof thread.fairness === 'string' ? `'${echo(thread.fairness)}'` : describeValue(thread.fairness);
    throw new ModelError(at, `fairness is ${shown}: write ${FAIRNESS_KINDS.map((f: Fairness) => `'${f}'`).join(', ')} or leave it out (weak)`);
  }
  checkOptional(thread.group, 'string', at, 'group');
  if (!Array.isArray(thread.steps)) throw new ModelError(at, `'steps' is ${describeValue(thread.steps)}: write an array of steps, [{ label, … }, …]`);
  const labels: string[] = [];
  thread.steps.forEach((s: unknown, j: number) => {
    const label = isPlainObject(s) ? s.label : undefined;
    if (typeof label !== 'string' || label.length === 0) {
      throw new ModelError(at, `step ${j + 1}'s label is ${describeValue(label)}: give each step a label (a non-empty string)`);
    }
    if (label === DONE) throw new ModelError({ ...at, step: label }, `'${DONE}' is reserved (goto: '${DONE}' ends the thread) and cannot label a step`);
    if (labels.includes(label)) throw new ModelError({ ...at, step: label }, 'duplicate step label: labels must be unique within a thread');
    labels.push(label);
  });
  thread.steps.forEach((s: unknown, j: number) => checkStep(s, j, thread.name, labels, locks, model));
}

function checkInvariants(v: unknown, model: string): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) throw new ModelError({ model }, `'invariants' is ${describeValue(v)}: write an array of { name, check }`);
  const names = new Set<string>();
  v.forEach((inv: unknown, i: number) => {
    if (!isPlainObject(inv)) throw new ModelError({ model }, `invariant ${i + 1} is ${describeValue(inv)}: write { name, check: (v) => null | 'what broke' }`);
    const name = inv.name;
    if (typeof name !== 'string' || name.length === 0) throw new ModelError({ model }, `invariant ${i + 1}'s name is ${describeValue(name)}: give it a name (a non-empty string)`);
    const what = `invariant '${echo(name)}'`;
    if (names.has(name)) throw new ModelError({ model }, `two invariants are named '${echo(name)}': names must be unique (traces and --json name properties)`);
    names.add(name);
    checkKeys(inv, INVARIANT_KEYS, { model }, `${what} has an unknown key`, 'its keys are');
    if (typeof inv.check !== 'function') throw new ModelError({ model }, `${what}'s check is ${describeValue(inv.check)}: write check: (v) => null when fine, or a message saying what broke`);
    checkStrings(inv.reads, { model }, `${name}.reads`);
  });
}

/** The forms a liveness property (or each formula of its `all`) may take. */
const FORMS = ['eventually', 'alwaysEventually', 'leadsTo'] as const;

/** Checks one formula of a liveness property: exactly one form, with functions. */
function checkFormula(f: Record<string, unknown>, what: string, model: string, keys: readonly string[]): void {
  checkKeys(f, keys, { model }, `${what} has an unknown key`, 'its keys are');
  const forms = FORMS.filter((k) => f[k] !== undefined);
  if (forms.length !== 1) throw new ModelError({ model }, `${what} needs exactly one of eventually: p, alwaysEventually: p, leadsTo: [p, q]${keys.includes('all') ? ', all: [...]' : ''}; it has ${forms.length === 0 ? 'none' : forms.join(', ')}`);
  const form = forms[0];
  const fns = form === 'leadsTo' ? f.leadsTo : [f[form]];
  if (!Array.isArray(fns) || fns.length !== (form === 'leadsTo' ? 2 : 1) || fns.some((x) => typeof x !== 'function')) {
    throw new ModelError({ model }, `${what}: ${form} is ${describeValue(f[form])}: write ${form === 'leadsTo' ? 'leadsTo: [(v) => …, (v) => …]' : `${form}: (v) => true or false`}`);
  }
}

function checkLiveness(v: unknown, model: string): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) throw new ModelError({ model }, `'liveness' is ${describeValue(v)}: write an array of { name, eventually | alwaysEventually | leadsTo | all }`);
  const names = new Set<string>();
  v.forEach((l: unknown, i: number) => {
    if (!isPlainObject(l)) throw new ModelError({ model }, `liveness property ${i + 1} is ${describeValue(l)}: write { name, eventually: (v) => … }`);
    const name = l.name;
    if (typeof name !== 'string' || name.length === 0) throw new ModelError({ model }, `liveness property ${i + 1}'s name is ${describeValue(name)}: give it a name (a non-empty string)`);
    const what = `liveness property '${echo(name)}'`;
    if (names.has(name)) throw new ModelError({ model }, `two liveness properties are named '${echo(name)}': names must be unique`);
    names.add(name);
    if (l.all === undefined) return checkFormula(l, what, model, ['name', ...FORMS, 'all']);
    checkKeys(l, ['name', 'all'], { model }, `${what} has an unknown key`, "with 'all', its keys are");
    if (!Array.isArray(l.all) || l.all.length === 0) throw new ModelError({ model }, `${what}: all is ${describeValue(l.all)}: write a non-empty array of { what, eventually | alwaysEventually | leadsTo }`);
    (l.all as unknown[]).forEach((f, j) => {
      if (!isPlainObject(f) || typeof f.what !== 'string') throw new ModelError({ model }, `${what}: formula ${j + 1} of all is ${describeValue(f)}: write { what: 'what it asks', eventually: (v) => … }`);
      checkFormula(f, `${what}, formula '${echo(f.what)}'`, model, ['what', ...FORMS]);
    });
  });
}

function checkLocks(v: unknown, model: string): Readonly<Record<string, LockKind>> {
  if (v === undefined) return {};
  if (!isPlainObject(v)) throw new ModelError({ model }, `'locks' is ${describeValue(v)}: write { name: 'spinlock' | 'mutex' | 'rwsem', … }`);
  for (const [name, kind] of Object.entries(v)) {
    if (!LOCK_KINDS.includes(kind as LockKind)) {
      const hint = typeof kind === 'string' ? suggest(kind.replace(/[_\s-]/g, '').toLowerCase(), LOCK_KINDS) ?? suggest(kind, LOCK_KINDS) : undefined;
      const shown = typeof kind === 'string' ? `'${echo(kind)}'` : describeValue(kind);
      throw new ModelError({ model }, `lock '${echo(name)}' has kind ${shown}: a lock kind is 'spinlock', 'mutex' or 'rwsem'${hint ? ` (did you mean '${hint}'?)` : ''}`);
    }
  }
  return v as Readonly<Record<string, LockKind>>;
}

function checkInitial(value: unknown, path: string, model: string): void {
  try {
    validateState(value, path);
  } catch (e) {
    if (e instanceof InvalidStateError) throw new ModelError({ model }, `the initial state: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Checks a thread-model specification; throws a ModelError at the first mistake. Called by
 * threadModel() before it compiles anything, so the same message comes on either engine and
 * in every thread.
 *
 * @example
 *   checkThreadModelSpec({ name: 'm', shared: {}, threads: [] }); // throws: … shared holds a plain object …
 */
export function checkThreadModelSpec(spec: unknown): void {
  if (!isPlainObject(spec)) throw new ModelError({ model: '?' }, `threadModel expects { name, shared, threads, … }, got ${describeValue(spec)}`);
  const model = typeof spec.name === 'string' && spec.name.length > 0 ? spec.name : undefined;
  if (model === undefined) throw new ModelError({ model: '?' }, `threadModel's name is ${describeValue(spec.name)}: give the model a name (a non-empty string)`);
  checkKeys(spec, SPEC_KEYS, { model }, 'threadModel has no key', 'its keys are');
  const locks = checkLocks(spec.locks, model);
  const threads = spec.threads;
  if (!Array.isArray(threads)) throw new ModelError({ model }, `'threads' is ${describeValue(threads)}: write an array of { name, steps }`);
  if (threads.length === 0) throw new ModelError({ model }, 'a model needs at least one thread');
  if (threads.length > MAX_THREADS) throw new ModelError({ model }, `at most ${MAX_THREADS} threads are supported, got ${threads.length}`);
  const seen = new Set<string>();
  threads.forEach((t: unknown, i: number) => checkThread(t, i, locks, model, seen));
  checkInvariants(spec.invariants, model);
  checkOptional(spec.deadlock, 'boolean', { model }, 'deadlock');
  checkOptional(spec.sleepCheck, 'boolean', { model }, 'sleepCheck');
  checkOptional(spec.assertions, 'boolean', { model }, 'assertions');
  checkOptional(spec.progress, 'boolean', { model }, 'progress');
  checkLiveness(spec.liveness, model);
  checkOptional(spec.sharedToJSON, 'function', { model }, 'sharedToJSON');
  checkStrings(spec.strings, { model }, 'strings');
  checkInitial(spec.shared, 'shared', model);
  for (const t of threads as ThreadSpec<unknown>[]) checkInitial(t.locals === undefined ? null : t.locals, `${t.name}.locals`, model);
}
