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
import type { MemoStats, NotVectorizable, Successors, VectorModel, VectorOptions } from './vector.ts';
import { StringCodes, valueOf } from '../state/codes.ts';
import { Decoder, NotVectorizableError, encodeValue, shapeOf, type Shape } from '../state/layout.ts';
import { StepMemo, type PartRun } from './step-memo.ts';
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

/**
 * The vector form of a plain Model, or why it has none.
 *
 * @example
 *   const v = compilePlainVectors(twoPhaseCommit(3, 'two-phase'), {});
 *   if (!('reason' in v)) console.log(v.width); // 15 slots
 */
export function compilePlainVectors<S, A>(model: Model<S, A>, options: VectorOptions): VectorModel<S> | NotVectorizable {
  if (model.processes !== undefined) return { reason: 'its processes are named per state (Model.processes), the vector engine names them by action', notLayout: true };
  const symmetry = options.symmetry ? model.symmetry : undefined;
  const strings = new StringCodes();
  const inits = model.initStates();
  let shape: Shape;
  try {
    if (inits.length === 0) return { reason: 'it has no initial state', notLayout: true };
    shape = shapeOf(inits[0], strings, '');
    for (const x of model.strings ?? []) strings.seed(x);
    const probe = new Int32Array(shape.width);
    for (const s of inits) encodeValue(shape, s, probe, 0, strings, '');
  } catch (e) {
    if (e instanceof NotVectorizableError) return { reason: e.message };
    throw e;
  }
  const width = shape.width;
  const slotNames = slotNamesOf(shape, '', []);
  const parts = model.actionParts;
  const partCount = parts?.count ?? 1;
  const partName = (p: number): string => (parts === undefined ? 'actions()' : `actionParts part ${p}`);
  const partActions = (s: S, p: number): readonly A[] => {
    const r: unknown = parts === undefined ? model.actions(s) : parts.actions(s, p);
    if (!Array.isArray(r)) throw new ModelError({ model: model.name }, `${partName(p)} returned ${describeValue(r)}: return an array of the actions enabled in the state (empty when none is)`);
    return r as readonly A[];
  };
  for (const s of inits) {
    for (let p = 0; p < partCount; p++) {
      const bad = partActions(s, p).find((a) => !isPrimitive(a));
      if (bad !== undefined) return { reason: `its actions are objects (${describeValue(bad)}); the vector engine memoises primitive actions (numbers, strings)`, notLayout: true };
    }
  }

  const tracker = new Tracker(width);
  const decoder = new Decoder(strings);
  const alwaysRead = shape.kind === 'prim' ? [0] : [];
  const encode = (s: S, out: Int32Array): void => {
    encodeValue(shape, s, out, 0, strings, '');
  };
  const decode = (vec: Int32Array, tracked: boolean): S =>
    (tracked ? trackedValue(shape, 0, (x) => valueOf(vec[x], strings)) : decoder.at(vec, 0).value(shape)) as S;

  const props = propertiesByKind(model);
  const transitionProps = props.transitions;
  const predicates = livenessPredicates(props.liveness);
  const perTrie = Math.max(1 << 16, Math.floor(NODE_BUDGET / (partCount + props.invariants.length + predicates.length)));
  const checks = new CheckMemo<S>({ decode, tracker, alwaysRead, width, model: model.name }, props.invariants, predicates, perTrie);
  const tmp = new Int32Array(width);
  const leafDeltas = new LeafDeltas(tracker, width);

  /** Runs part `p`'s actions and their `next` on `vec` with tracking (a miss of its memo). */
  const runPart = (p: number, vec: Int32Array): PartRun => {
    tracker.start();
    for (const x of alwaysRead) tracker.read(x);
    let acts: readonly A[];
    let results: S[];
    let msgs: ((readonly (string | null)[]) | null)[];
    let s: S;
    try {
      s = decode(vec, true);
      acts = partActions(s, p);
      results = acts.map((a) => model.next(s, a));
      msgs = acts.map((a, i) => {
        const found = transitionProps.map((tp) => tp.check(s, a, results[i]));
        return found.every((m) => m === null) ? null : found;
      });
    } finally {
      tracker.stop();
    }
    const bad = acts.find((a) => !isPrimitive(a));
    if (bad !== undefined) throw new NotVectorizableError('', `an action is an object (${untracked(() => describeValue(bad))}), which the vector engine cannot memoise`);
    const deltas: Int32Array[] = [];
    for (let i = 0; i < results.length; i++) {
      encode(results[i], tmp);
      leafDeltas.begin();
      leafDeltas.assignedIn(results[i], shape, 0);
      deltas.push(
        leafDeltas.delta(vec, tmp, (x) => {
          const step = untracked(() => model.formatAction(decode(vec, false), acts[i]));
          throw new ModelError(
            { model: model.name },
            `the vector engine cannot tell how step '${step}' changes ${slotNames[x]}: it changed with no tracked read or set (is state changed outside Immutable's API?); --engine immutable checks the model without the vector engine`,
          );
        }),
      );
    }
    return { actions: acts, deltas, messages: msgs, slots: tracker.reads };
  };
  const steps = new StepMemo(partCount, perTrie, checks as CheckMemo<unknown>, model.name, runPart, partName);

  /**
   * actions() must list what the parts list, in their order: checked on each state where a
   * part missed (a built model's actions() are its parts' — build.ts — and compare its own on
   * the first states; this guards a Model handed to the search unbuilt).
   */
  const checkParts = (vec: Int32Array, out: Successors): void => {
    const s = decode(vec, false);
    const all = model.actions(s);
    const got: unknown[] = [];
    for (let g = 0; g < out.groups; g++) got.push(...out.group[g].actions);
    if (all.length !== got.length || all.some((a, i) => !Object.is(a, got[i]))) {
      const list = (xs: readonly unknown[]) => `[${xs.map((a) => model.formatAction(s, a as A)).join(', ')}]`;
      throw new ModelError({ model: model.name }, `actions() lists ${list(all)} where its actionParts list ${list(got)}: actions() must be the parts' actions, part by part, in order`);
    }
  };

  const successors = (vec: Int32Array, out: Successors): void => {
    if (steps.successors(vec, out) && parts !== undefined) checkParts(vec, out);
  };

  const deadlock = props.deadlock;
  const canonicalState = symmetry?.canonical.bind(symmetry);
  const ind = model.independence;
  // Partial-order reduction over vectors: the model's own tables, asked of the decoded state.
  const independence: Independence<Int32Array, unknown> | undefined =
    ind === undefined
      ? undefined
      : {
          processCount: ind.processCount,
          processOf: (vec, a) => ind.processOf(decode(vec, false), a as A),
          nextTransition: (vec, p) => ind.nextTransition(decode(vec, false), p),
          conflictsWithFuture: (vec, p, t) => ind.conflictsWithFuture(decode(vec, false), p, t),
          isVisible: (t) => ind.isVisible(t),
        };

  return {
    width,
    independence,
    encode,
    decode: (vec) => decode(vec, false),
    successors,
    invariantCount: props.invariants.length,
    checkInvariant: (i, vec) => checks.checkInvariant(i, vec),
    transitionCount: transitionProps.length,
    // Asked only of a state without successors: the model's own answer, on the decoded state.
    isEnd: (vec) => deadlock === undefined || deadlock.isEnd(decode(vec, false)),
    predicateCount: predicates.length,
    predicate: (j, vec) => checks.predicate(j, vec),
    // Without Model.processes a model is one process.
    processOf: () => 0,
    canonical: canonicalState === undefined ? undefined : (vec, out) => encode(canonicalState(decode(vec, false)), out),
    takeHashedStrings: () => strings.takeHashed(),
    learnStrings: (xs) => strings.learn(xs),
    memoStats: (): MemoStats => {
      const t = steps.trieFigures();
      const c = checks.trieFigures();
      return { hits: steps.hits + checks.hits, kept: steps.kept, misses: steps.misses + checks.misses, nodes: t.nodes + c.nodes, flushes: t.flushes + c.flushes };
    },
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
