// The thread DSL compiled to a vector model (vector.ts): states as slots, each thread's
// enabled steps and each invariant answered from memo tries (memo.ts), model code run only
// on a miss, on a decoded state whose reads and writes are tracked (tracking.ts); liveness
// predicates likewise.
//
// Layout of a state, in slots: the shared state (every primitive inside it, in layout order),
// one program counter per thread, each thread's locals (likewise), one slot per lock (0 free,
// tid+1 held by tid, 32+mask held for read by the threads of mask).
//
// A thread's memo maps the slots its next step's guard, choice, effect, goto and lock names
// read — each Record field and List element on its own (tracking.ts), always starting with
// its program counter, and with its locals or the shared state when they are a single
// primitive — to the list of its enabled actions and, per action, the slots it writes. From
// one run on state v, per slot:
//   - read: keyed (the leaf holds only for states agreeing on it); the action writes it if
//     it changed;
//   - assigned but not read (set along the result's lineage, or part of a value the step
//     built or moved there): the action writes it (its value is a function of what was read;
//     the slots a value was moved from count as read);
//   - neither: passed through — and if it changed anyway (state changed behind Immutable's
//     API), the search stops with an error naming the step and the slot.
// So a leaf's effect is exactly the step's effect on every state that reaches the leaf.
import { List } from 'immutable';
import type { DslInternals } from './dsl-internals.ts';
import type { DslState } from './thread-spec.ts';
import type { MemoStats, NotVectorizable, VectorModel, VectorOptions } from './vector.ts';
import { Successors } from './vector.ts';
import { StringCodes } from '../state/codes.ts';
import { valueOf } from '../state/codes.ts';
import { Decoder, NotVectorizableError, encodeValue, shapeOf, type RecordShape, type Shape } from '../state/layout.ts';
import { Tracker, trackedValue } from './tracking.ts';
import { LeafDeltas } from './leaf-deltas.ts';
import { CheckMemo } from './check-memo.ts';
import { StepMemo, memoFigures, type PartRun } from './step-memo.ts';
import { ModelError } from './errors.ts';
import type { Independence } from '../reduce/support.ts';

const FREE = -1;
/** The DSL's action encoding: tid + CHOICE * choice. */
const CHOICE = 256;
/** Lock codes at or above this are rwsem reader masks (threads are at most 30). */
const READERS = 32;
/** Trie nodes a vector model may hold in all (each trie gets a share). */
const NODE_BUDGET = 1 << 22;

function lockCode(v: number): number {
  return v === FREE ? 0 : v >= 0 ? v + 1 : READERS + -(v + 1);
}

function lockValue(c: number): number {
  return c === 0 ? FREE : c < READERS ? c - 1 : -(c - READERS + 1);
}

function sameShape(a: Shape, b: Shape): boolean {
  if (a.kind !== b.kind || a.width !== b.width) return false;
  if (a.kind === 'list') return a.items.every((x, i) => sameShape(x, (b as typeof a).items[i]));
  if (a.kind === 'record') return a.proto === (b as RecordShape).proto && a.fields.every((x, i) => sameShape(x, (b as RecordShape).fields[i]));
  return true;
}

// FIXME(function-length): compileThreadVectors is 261 lines, over the 120 a reader can take in (test/package/function-length.test.ts holds it there): split it into named parts.
/**
 * The vector form of a thread model, or why it has none (a part of its initial state with
 * no fixed layout, or symmetric threads whose locals differ in shape).
 */
export function compileThreadVectors<S>(m: DslInternals<S>, options: VectorOptions): VectorModel<DslState<S>> | NotVectorizable {
  const strings = new StringCodes();
  for (const x of m.spec.strings ?? []) strings.seed(x);
  const n = m.threads.length;
  const lockCount = m.lockNames.length;
  let sharedShape: Shape;
  const localShapes: Shape[] = [];
  try {
    sharedShape = shapeOf(m.initial.shared, strings, 'shared');
    for (let t = 0; t < n; t++) localShapes.push(shapeOf(m.initial.locals.get(t), strings, `${m.threads[t].name}.locals`));
  } catch (e) {
    if (e instanceof NotVectorizableError) return { reason: e.message };
    throw e;
  }

  // Slots: the shared state, program counters, locals, locks; each slot named for messages.
  const slotNames: string[] = [];
  const name = (shape: Shape, path: string): void => {
    if (shape.kind === 'prim') slotNames.push(path);
    else if (shape.kind === 'list') shape.items.forEach((x, i) => name(x, `${path}[${i}]`));
    else shape.fields.forEach((x, i) => name(x, `${path}.${shape.keys[i]}`));
  };
  name(sharedShape, 'shared');
  const pcStart = slotNames.length;
  for (let t = 0; t < n; t++) slotNames.push(`pc[${m.threads[t].name}]`);
  const localStart: number[] = [];
  for (let t = 0; t < n; t++) {
    localStart.push(slotNames.length);
    name(localShapes[t], `${m.threads[t].name}.locals`);
  }
  const lockStart = slotNames.length;
  for (let l = 0; l < lockCount; l++) slotNames.push(`lock ${m.lockNames[l]}`);
  const width = slotNames.length;
  const localWidth = localShapes.map((s) => s.width);

  // Symmetry: groups whose members' locals have one shape.
  const groups = options.symmetry ? m.groups : [];
  for (const g of groups) {
    for (const tid of g) {
      if (!sameShape(localShapes[tid], localShapes[g[0]])) {
        return { reason: `symmetric threads '${m.threads[g[0]].name}' and '${m.threads[tid].name}' have locals of different shapes` };
      }
    }
  }

  m.watch.lock0 = lockStart;
  m.watch.pc0 = pcStart;
  // A primitive local cannot be tracked as it is used: reading it is reading its one slot.
  m.watch.localWhole = localShapes.map((s, t) => (s.kind === 'prim' ? localStart[t] : -1));

  const tracker = new Tracker(width);
  const decoder = new Decoder(strings);

  const encode = (s: DslState<S>, out: Int32Array): void => {
    encodeValue(sharedShape, s.shared, out, 0, strings, 'shared');
    const pcs = s.pcs;
    const locals = s.locals;
    const locks = s.locks;
    for (let t = 0; t < n; t++) {
      out[pcStart + t] = pcs.get(t)!;
      encodeValue(localShapes[t], locals.get(t), out, localStart[t], strings, `${m.threads[t].name}.locals`);
    }
    for (let l = 0; l < lockCount; l++) out[lockStart + l] = lockCode(locks.get(l)!);
  };

  /**
   * The state of `vec`; when `track`, the shared state and the locals of thread `trackLocals`
   * (of every thread when -1) are tracked values (tracking.ts): their reads are reported per slot.
   */
  const decodeState = (vec: Int32Array, track: boolean, trackLocals: number): DslState<S> => {
    const prim = (x: number): unknown => valueOf(vec[x], strings);
    const shared = (track ? trackedValue(sharedShape, 0, prim) : decoder.at(vec, 0).value(sharedShape)) as S;
    const pcs = new Array<number>(n);
    const locals = new Array<unknown>(n);
    for (let t = 0; t < n; t++) {
      pcs[t] = vec[pcStart + t];
      locals[t] = track && (trackLocals < 0 || trackLocals === t) ? trackedValue(localShapes[t], localStart[t], prim) : decoder.at(vec, localStart[t]).value(localShapes[t]);
    }
    const locks = new Array<number>(lockCount);
    for (let l = 0; l < lockCount; l++) locks[l] = lockValue(vec[lockStart + l]);
    return m.makeState(shared, List(pcs), List(locals), List(locks));
  };

  // Memo tries: one per thread, one per invariant, one per liveness predicate.
  const invariants = m.invariants;
  const predicates = m.predicates;
  const perTrie = Math.max(1 << 16, Math.floor(NODE_BUDGET / (n + invariants.length + predicates.length)));
  // Two shortcuts past the tries. A state that agrees with another on the slots a leaf was
  // keyed on reaches the same leaf, so its result is the other's:
  //   - A thread's leaf holds its key (`keys`, `keyCodes`), and the next state expanded
  //     keeps the leaf when it has the same codes there: siblings of a BFS level differ only
  //     in what their parents' last steps wrote, so most threads' leaves carry over.
  //   - Each invariant has the set of every slot its trie was ever keyed on, which says
  //     which steps can change its verdict (`Transitions.touches`; check-memo.ts keeps the
  //     sets in memory the search's threads share); until then every step counts as
  //     touching every invariant.
  const checks = new CheckMemo<DslState<S>>({ decode: (vec, tracked) => decodeState(vec, tracked, -1), tracker, alwaysRead: sharedShape.kind === 'prim' ? [0] : [], width, model: m.spec.name }, invariants, predicates, perTrie);
  const transitionProps = m.transitions;
  const tmp = new Int32Array(width);

  const leafDeltas = new LeafDeltas(tracker, width);

  /** Runs thread `t`'s step logic on `vec` with tracking (a miss of its memo). */
  const runThread = (t: number, vec: Int32Array): PartRun => {
    tracker.start();
    tracker.read(pcStart + t);
    if (localShapes[t].kind === 'prim') tracker.read(localStart[t]);
    if (sharedShape.kind === 'prim') tracker.read(0);
    let s: DslState<S>;
    const acts: number[] = [];
    let results: DslState<S>[];
    let msgs: ((readonly (string | null)[]) | null)[];
    try {
      s = decodeState(vec, true, t);
      m.threadActionsInto(t, s.pcs, s.locks, s.shared, s.locals, acts);
      results = acts.map((a) => m.next(s, a));
      msgs = acts.map((a, i) => {
        const found = transitionProps.map((p) => p.check(s, a, results[i]));
        return found.every((msg) => msg === null) ? null : found;
      });
    } finally {
      tracker.stop();
    }
    // Partial-order reduction checks the step's footprint here, once per leaf: every state
    // reaching the leaf agrees on all the step read, so the step touches the same keys there.
    m.checkFootprint(decodeState(vec, false, -1), t);
    // Per action: the slots it writes. A slot read is keyed, so it is written only if it
    // changed; a slot assigned (not read) is written, its value being a function of what was
    // read (the slots a value was moved from are read now, so keyed); a lock the step took or
    // released is written; any other slot must be unchanged.
    const deltas: Int32Array[] = [];
    const unexplained = (x: number): never => {
      const step = m.threads[t].steps[vec[pcStart + t]]?.spec.label ?? '?';
      throw new ModelError(
        { model: m.spec.name, thread: m.threads[t].name, step },
        `the vector engine cannot tell how this step changes ${slotNames[x]}: it changed with no tracked read or set (is state changed outside Immutable's API?); --engine immutable checks the model without the vector engine`,
      );
    };
    for (const r of results) {
      encode(r, tmp);
      leafDeltas.begin();
      leafDeltas.assignedIn(r.shared, sharedShape, 0);
      leafDeltas.assignedIn(r.locals.get(t), localShapes[t], localStart[t]);
      deltas.push(leafDeltas.delta(vec, tmp, unexplained));
    }
    return { actions: acts, deltas, messages: msgs, slots: tracker.reads };
  };
  const steps = new StepMemo(n, perTrie, checks, m.spec.name, runThread, (t) => `thread ${m.threads[t].name}'s step`);
  const successors = (vec: Int32Array, out: Successors): void => {
    steps.successors(vec, out);
  };

  const isEnd = (vec: Int32Array): boolean => {
    for (let t = 0; t < n; t++) if (!m.threads[t].endPoints[vec[pcStart + t]]) return false;
    return true;
  };

  // Symmetry: sort each group's threads by (pc, locals, locks held); rename lock owners.
  const holds = (vec: Int32Array, tid: number, l: number): boolean => {
    const c = vec[lockStart + l];
    return c === tid + 1 || (c >= READERS && (((c - READERS) >>> tid) & 1) === 1);
  };
  const compareThreads = (vec: Int32Array, a: number, b: number): number => {
    const d = vec[pcStart + a] - vec[pcStart + b];
    if (d !== 0) return d;
    const la = localStart[a];
    const lb = localStart[b];
    for (let x = 0; x < localWidth[a]; x++) {
      const e = vec[la + x] - vec[lb + x];
      if (e !== 0) return e;
    }
    for (let l = 0; l < lockCount; l++) {
      const ha = holds(vec, a, l);
      if (ha !== holds(vec, b, l)) return ha ? -1 : 1;
    }
    return 0;
  };
  const rename = new Int32Array(n);
  const order: number[] = [];
  const canonical =
    groups.length === 0
      ? undefined
      : (vec: Int32Array, out: Int32Array): void => {
          out.set(vec);
          let renamed = false;
          for (let t = 0; t < n; t++) rename[t] = t;
          for (const g of groups) {
            order.length = 0;
            for (const tid of g) {
              // Insertion sort: groups are small.
              let j = order.length;
              order.push(tid);
              while (j > 0 && compareThreads(vec, order[j - 1], tid) > 0) {
                order[j] = order[j - 1];
                j--;
              }
              order[j] = tid;
            }
            for (let j = 0; j < g.length; j++) {
              const from = order[j];
              const to = g[j];
              if (from === to) continue;
              renamed = true;
              rename[from] = to;
              out[pcStart + to] = vec[pcStart + from];
              for (let x = 0; x < localWidth[to]; x++) out[localStart[to] + x] = vec[localStart[from] + x];
            }
          }
          if (!renamed) return;
          for (let l = 0; l < lockCount; l++) {
            const c = vec[lockStart + l];
            if (c === 0) continue;
            if (c < READERS) out[lockStart + l] = rename[c - 1] + 1;
            else {
              const mask = c - READERS;
              let r = 0;
              for (let t = 0; t < n; t++) if ((mask >>> t) & 1) r |= 1 << rename[t];
              out[lockStart + l] = READERS + r;
            }
          }
        };

  const memoStats = (): MemoStats => memoFigures(steps, checks);

  const slotName = (slot: number): string => {
    return slotNames[slot] ?? `slot ${slot}`;
  };

  // Partial-order reduction on vectors: the DSL's tables, read with each thread's program
  // counter from its slot.
  const ind = m.independence;
  const independence: Independence<Int32Array, unknown> = {
    processCount: n,
    processOf: (_vec, a) => (a as number) % CHOICE,
    nextTransition: (vec, p) => ind.stepAt(p, vec[pcStart + p]),
    conflictsWithFuture: (vec, p, t) => ind.conflictAt(p, vec[pcStart + p], t),
    isVisible: (t) => ind.isVisible(t),
  };

  return {
    width,
    independence,
    encode,
    decode: (vec) => decodeState(vec, false, -1),
    successors,
    invariantCount: invariants.length,
    checkInvariant: (i, vec) => checks.checkInvariant(i, vec),
    transitionCount: transitionProps.length,
    isEnd,
    predicateCount: predicates.length,
    predicate: (j, vec) => checks.predicate(j, vec),
    processOf: (action) => m.processOf(action as number),
    canonical,
    takeHashedStrings: () => strings.takeHashed(),
    learnStrings: (xs) => strings.learn(xs),
    memoStats,
    slotName,
    invariantReadsBytes: checks.invariantReadsBytes,
    shareInvariantReads: (buffer) => checks.shareInvariantReads(buffer),
  };
}

export { Successors };
