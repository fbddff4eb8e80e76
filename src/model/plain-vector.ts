// A model written against the plain Model interface compiled to a vector model (vector.ts),
// when its states have a fixed layout: the state is its slots (src/state/layout.ts), and the
// enabled actions with their effects are answered from memo tries (memo.ts), one per part of
// `Model.actionParts` (or one for `actions()` when the model gives no parts), keyed on the
// slots the part's actions and their `next` read — each Record field and List element on its
// own (tracking.ts). Invariants and liveness predicates likewise (check-memo.ts). Model code
// runs only on a miss, on a decoded state whose reads and writes are tracked.
//
// A part's leaf records, from one run on state v, per action and slot (as dsl-vector.ts):
// a slot read is keyed, and written if it changed; a slot assigned but not read is written;
// any other slot must be unchanged, else the search stops with an error naming the slot. So
// a leaf's effect is exactly the actions' effect on every state that reaches it.
//
// What has no vector form: a state with a part of no fixed layout (a Set, a Map, a List that
// grows — found in the initial states here, or in a later state by the search, which then
// restarts on Immutable values), actions that are not primitives (a leaf hands the same
// action to every state reaching it), and processes named per state (`Model.processes`,
// which the vector engine asks by action alone).
import type { Model } from './model.ts';
import { livenessPredicates, propertiesByKind } from './model.ts';
import type { NotVectorizable, Successors, VectorModel, VectorOptions } from './vector.ts';
import { StringCodes, valueOf } from '../state/codes.ts';
import { Decoder, NotVectorizableError, encodeValue, shapeOf, type Shape } from '../state/layout.ts';
import { StepMemo, memoFigures, type PartRun } from './step-memo.ts';
import { Tracker, trackedValue, untracked } from './tracking.ts';
import { LeafDeltas } from './leaf-deltas.ts';
import { ModelError } from './errors.ts';
import { CheckMemo } from './check-memo.ts';
import type { Independence } from '../reduce/support.ts';
import { describeValue } from './describe.ts';

/** Trie nodes a vector model may hold in all (each trie gets a share). */
const NODE_BUDGET = 1 << 22;

/** True for the values a leaf may hand to every state reaching it: primitives. */
function isPrimitive(a: unknown): boolean {
  return a === null || (typeof a !== 'object' && typeof a !== 'function');
}

/** The slot names of `shape` at `path`, in layout order. */
function slotNamesOf(shape: Shape, path: string, out: string[]): string[] {
  if (shape.kind === 'prim') out.push(path || 'the state');
  else if (shape.kind === 'list') shape.items.forEach((x, i) => slotNamesOf(x, `${path}[${i}]`, out));
  else shape.fields.forEach((x, i) => slotNamesOf(x, path ? `${path}.${shape.keys[i]}` : shape.keys[i], out));
  return out;
}

/** A plain Model's action parts: its `actionParts`, or one part, `actions()`. */
interface Parts<S, A> {
  readonly count: number;
  readonly given: boolean;
  name(p: number): string;
  /** Part p's actions in `s`, checked to be an array. */
  actions(s: S, p: number): readonly A[];
}

function partsOf<S, A>(model: Model<S, A>): Parts<S, A> {
  const parts = model.actionParts;
  const name = (p: number): string => (parts === undefined ? 'actions()' : `actionParts part ${p}`);
  return {
    count: parts?.count ?? 1,
    given: parts !== undefined,
    name,
    actions: (s, p) => {
      const r: unknown = parts === undefined ? model.actions(s) : parts.actions(s, p);
      if (!Array.isArray(r)) throw new ModelError({ model: model.name }, `${name(p)} returned ${describeValue(r)}: return an array of the actions enabled in the state (empty when none is)`);
      return r as readonly A[];
    },
  };
}

/** The shape of `model`'s states (from its initial states, seeding `strings`), or why it has no vector form. */
function plainLayout<S, A>(model: Model<S, A>, parts: Parts<S, A>, strings: StringCodes): Shape | NotVectorizable {
  if (model.processes !== undefined) return { reason: 'its processes are named per state (Model.processes), the vector engine names them by action', notLayout: true };
  const inits = model.initStates();
  if (inits.length === 0) return { reason: 'it has no initial state', notLayout: true };
  let shape: Shape;
  try {
    shape = shapeOf(inits[0], strings, '');
    for (const x of model.strings ?? []) strings.seed(x);
    const probe = new Int32Array(shape.width);
    for (const s of inits) encodeValue(shape, s, probe, 0, strings, '');
  } catch (e) {
    if (e instanceof NotVectorizableError) return { reason: e.message };
    throw e;
  }
  for (const s of inits) {
    for (let p = 0; p < parts.count; p++) {
      const bad = parts.actions(s, p).find((a) => !isPrimitive(a));
      if (bad !== undefined) return { reason: `its actions are objects (${describeValue(bad)}); the vector engine memoises primitive actions (numbers, strings)`, notLayout: true };
    }
  }
  return shape;
}

/** What running a part needs: the model, its parts, and the state's codec with tracking. */
interface PartContext<S, A> {
  readonly model: Model<S, A>;
  readonly parts: Parts<S, A>;
  readonly shape: Shape;
  readonly slotNames: readonly string[];
  readonly tracker: Tracker;
  readonly alwaysRead: readonly number[];
  encode(s: S, out: Int32Array): void;
  decode(vec: Int32Array, tracked: boolean): S;
}

/** Runs part p's actions and their `next` on a vector with tracking (a miss of its memo): its actions, their deltas and transition-property messages. */
function partRunner<S, A>(c: PartContext<S, A>): (p: number, vec: Int32Array) => PartRun {
  const { model, tracker } = c;
  const transitionProps = propertiesByKind(model).transitions;
  const tmp = new Int32Array(c.shape.width);
  const leafDeltas = new LeafDeltas(tracker, c.shape.width);
  return (p, vec) => {
    tracker.start();
    for (const x of c.alwaysRead) tracker.read(x);
    let acts: readonly A[];
    let results: S[];
    let msgs: ((readonly (string | null)[]) | null)[];
    try {
      const s = c.decode(vec, true);
      acts = c.parts.actions(s, p);
      results = acts.map((a) => model.next(s, a));
      msgs = acts.map((a, i) => {
        const found = transitionProps.map((tp) => tp.check(s, a, results[i]));
        return found.every((m) => m === null) ? null : found;
      });
    } finally {
      tracker.stop();
    }
    const bad = acts.find((a) => !isPrimitive(a));
    if (bad !== undefined) throw new NotVectorizableError('', `an action is an object (${describeValue(bad)}), which the vector engine cannot memoise`);
    const deltas = results.map((r, i) => {
      c.encode(r, tmp);
      leafDeltas.begin();
      leafDeltas.assignedIn(r, c.shape, 0);
      return leafDeltas.delta(vec, tmp, (x) => {
        const step = untracked(() => model.formatAction(c.decode(vec, false), acts[i]));
        throw new ModelError(
          { model: model.name },
          `the vector engine cannot tell how step '${step}' changes ${c.slotNames[x]}: it changed with no tracked read or set (is state changed outside Immutable's API?); --engine immutable checks the model without the vector engine`,
        );
      });
    });
    return { actions: acts, deltas, messages: msgs, slots: tracker.reads };
  };
}

/**
 * actions() must list what the parts list, in their order: checked on each state where a
 * part missed (a built model's actions() are its parts' — build.ts — and compare its own on
 * the first states; this guards a Model handed to the search unbuilt).
 */
function checkParts<S, A>(model: Model<S, A>, s: S, out: Successors): void {
  const all = model.actions(s);
  const got: unknown[] = [];
  for (let g = 0; g < out.groups; g++) got.push(...out.group[g].actions);
  if (all.length !== got.length || all.some((a, i) => !Object.is(a, got[i]))) {
    const list = (xs: readonly unknown[]) => `[${xs.map((a) => model.formatAction(s, a as A)).join(', ')}]`;
    throw new ModelError({ model: model.name }, `actions() lists ${list(all)} where its actionParts list ${list(got)}: actions() must be the parts' actions, part by part, in order`);
  }
}

/** Partial-order reduction over vectors: the model's own tables, asked of the decoded state. */
function vectorIndependence<S, A>(ind: Independence<S, A> | undefined, decode: (vec: Int32Array) => S): Independence<Int32Array, unknown> | undefined {
  if (ind === undefined) return undefined;
  return {
    processCount: ind.processCount,
    processOf: (vec, a) => ind.processOf(decode(vec), a as A),
    nextTransition: (vec, p) => ind.nextTransition(decode(vec), p),
    conflictsWithFuture: (vec, p, t) => ind.conflictsWithFuture(decode(vec), p, t),
    isVisible: (t) => ind.isVisible(t),
  };
}

/**
 * The vector form of a plain Model, or why it has none.
 *
 * @example
 *   const v = compilePlainVectors(twoPhaseCommit(3, 'two-phase'), {});
 *   if (!('reason' in v)) console.log(v.width); // 12 slots
 */
export function compilePlainVectors<S, A>(model: Model<S, A>, options: VectorOptions): VectorModel<S> | NotVectorizable {
  const strings = new StringCodes();
  const parts = partsOf(model);
  const shape = plainLayout(model, parts, strings);
  if ('reason' in shape) return shape;
  const width = shape.width;
  const slotNames = slotNamesOf(shape, '', []);
  const tracker = new Tracker(width);
  const decoder = new Decoder(strings);
  const alwaysRead = shape.kind === 'prim' ? [0] : [];
  const encode = (s: S, out: Int32Array): void => {
    encodeValue(shape, s, out, 0, strings, '');
  };
  const decode = (vec: Int32Array, tracked: boolean): S =>
    (tracked ? trackedValue(shape, 0, (x) => valueOf(vec[x], strings)) : decoder.at(vec, 0).value(shape)) as S;
  const plain = (vec: Int32Array): S => decode(vec, false);

  const props = propertiesByKind(model);
  const predicates = livenessPredicates(props.liveness);
  const perTrie = Math.max(1 << 16, Math.floor(NODE_BUDGET / (parts.count + props.invariants.length + predicates.length)));
  const checks = new CheckMemo<S>({ decode, tracker, alwaysRead, width, model: model.name }, props.invariants, predicates, perTrie);
  const runPart = partRunner({ model, parts, shape, slotNames, tracker, alwaysRead, encode, decode });
  const steps = new StepMemo(parts.count, perTrie, checks, model.name, runPart, parts.name);
  const deadlock = props.deadlock;
  const symmetry = options.symmetry ? model.symmetry : undefined;

  return {
    width,
    independence: vectorIndependence(model.independence, plain),
    encode,
    decode: plain,
    successors: (vec, out) => {
      if (steps.successors(vec, out) && parts.given) checkParts(model, plain(vec), out);
    },
    invariantCount: props.invariants.length,
    checkInvariant: (i, vec) => checks.checkInvariant(i, vec),
    transitionCount: props.transitions.length,
    // Asked only of a state without successors: the model's own answer, on the decoded state.
    isEnd: (vec) => deadlock === undefined || deadlock.isEnd(plain(vec)),
    predicateCount: predicates.length,
    predicate: (j, vec) => checks.predicate(j, vec),
    // Without Model.processes a model is one process.
    processOf: () => 0,
    canonical: symmetry === undefined ? undefined : (vec, out) => encode(symmetry.canonical(plain(vec)), out),
    takeHashedStrings: () => strings.takeHashed(),
    learnStrings: (xs) => strings.learn(xs),
    memoStats: () => memoFigures(steps, checks),
    slotName: (slot) => slotNames[slot] ?? `slot ${slot}`,
    invariantReadsBytes: checks.invariantReadsBytes,
    shareInvariantReads: (buffer) => checks.shareInvariantReads(buffer),
  };
}

/**
 * The vector form of any model: its own (`Model.vectorize`, the thread DSL's), else the plain
 * Model's compiled here.
 */
export function vectorFormOf<S>(model: Model<S, any>, options: VectorOptions): VectorModel<S> | NotVectorizable {
  return model.vectorize !== undefined ? model.vectorize(options) : compilePlainVectors(model, options);
}
