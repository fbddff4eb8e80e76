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
import type { MemoStats, NotVectorizable, Transitions, VectorModel, VectorOptions } from './vector.ts';
import { Successors } from './vector.ts';
import { StringCodes } from '../state/codes.ts';
import { valueOf } from '../state/codes.ts';
import { Decoder, NotVectorizableError, encodeValue, shapeOf, type RecordShape, type Shape } from '../state/layout.ts';
import { MemoConflictError, MemoTrie } from './memo.ts';
import { Tracker, assignedSlots, trackedValue } from './tracking.ts';
import { ModelError } from './errors.ts';
import { keyHi, keyLo } from '../state/zobrist.ts';
import type { Independence } from '../reduce/support.ts';

const FREE = -1;
/** The DSL's action encoding: tid + CHOICE * choice. */
const CHOICE = 256;
/** Lock codes at or above this are rwsem reader masks (threads are at most 30). */
const READERS = 32;
/** Trie nodes a vector model may hold in all (each trie gets a share). */
const NODE_BUDGET = 1 << 22;

/** A thread's enabled steps from every state that agrees with `keyCodes` on `keys`. */
interface ThreadLeaf extends Transitions {
  /** The slots the step logic read to reach this leaf, in order, and their codes. */
  readonly keys: Int32Array;
  readonly keyCodes: Int32Array;
  /** Per action: which invariants it may change (Transitions.touches), as of shared version `touchVersion`. */
  readonly touches: number[];
  touchVersion: number;
}

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

// FIXME(function-length): compileThreadVectors is 441 lines, over the 120 a reader can take in (test/package/function-length.test.ts holds it there): split it into named parts.
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
  const threadTries = m.threads.map(() => new MemoTrie<ThreadLeaf>(perTrie));
  const invariantTries = invariants.map(() => new MemoTrie<string | null>(perTrie));
  const predicateTries = predicates.map(() => new MemoTrie<boolean>(perTrie));
  let hits = 0;
  let kept = 0;
  let misses = 0;
  // Two shortcuts past the tries. A state that agrees with another on the slots a leaf was
  // keyed on reaches the same leaf, so its result is the other's:
  //   - A thread's leaf holds its key (`keys`, `keyCodes`), and the next state expanded
  //     keeps the leaf when it has the same codes there: siblings of a BFS level differ only
  //     in what their parents' last steps wrote, so most threads' leaves carry over.
  //   - Each invariant has the set of every slot its trie was ever keyed on (one bit per
  //     slot), which says which steps can change its verdict (`Transitions.touches`). That
  //     needs the set to hold what the invariant read on the parent, which any thread of the
  //     search may have checked: so these sets are kept in memory the search's threads
  //     share (`shareInvariantReads`: a version word, then each invariant's words); until
  //     then every step counts as touching every invariant.
  const words = (width + 31) >>> 5;
  const invariantReads = invariants.map(() => new Int32Array(words));
  let sharedReads: Int32Array | null = null;
  /** The shared version a leaf's `touches` were computed at (-1: not shared yet, every bit set). */
  const sharedVersion = (): number => (sharedReads === null ? -1 : Atomics.load(sharedReads, 0));
  const addReads = (set: Int32Array, slots: readonly number[]): void => {
    for (const x of slots) set[x >>> 5] |= 1 << (x & 31);
  };
  /** ORs invariant `q`'s local set into the shared one (bumping its version when it grows). */
  const publishReads = (q: number): void => {
    if (sharedReads === null) return;
    const local = invariantReads[q];
    const at = 1 + q * words;
    for (let w = 0; w < words; w++) {
      if ((Atomics.load(sharedReads, at + w) & local[w]) === local[w]) continue;
      Atomics.or(sharedReads, at + w, local[w]);
      Atomics.add(sharedReads, 0, 1);
    }
  };
  const shareInvariantReads = (buffer: SharedArrayBuffer): void => {
    sharedReads = new Int32Array(buffer, 0, 1 + invariants.length * words);
    for (let q = 0; q < invariants.length; q++) publishReads(q);
  };
  const lastLeaf: (ThreadLeaf | undefined)[] = new Array(n).fill(undefined);
  const transitionProps = m.transitions;
  const tmp = new Int32Array(width);

  const insert = <L>(trie: MemoTrie<L>, vec: Int32Array, slots: number[], leaf: L, what: string): void => {
    try {
      trie.insert(vec, slots, leaf);
    } catch (e) {
      if (!(e instanceof MemoConflictError)) throw e;
      throw new ModelError({ model: m.spec.name }, `${what} is not deterministic: from states that agree on everything it read, it read different fields (${e.message}); it depends on something outside the state`);
    }
  };

  /** Runs thread `t`'s step logic on `vec` with tracking and memoises the result. */
  // Per action of a miss: the slots its result assigned (assignedSlots), marked with the action's epoch.
  const assigned = new Uint32Array(width);
  let assignEpoch = 0;
  const assign = (from: number, to: number): void => {
    for (let x = from; x < to; x++) assigned[x] = assignEpoch;
  };
  const moved = (from: number, to: number): void => tracker.readRange(from, to);

  /** Runs thread `t`'s step logic on `vec` with tracking and memoises the result. */
  const missThread = (t: number, vec: Int32Array): ThreadLeaf => {
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
    const pending: number[] = [];
    for (const r of results) {
      encode(r, tmp);
      pending.length = 0;
      if (++assignEpoch === 0xffffffff) {
        assigned.fill(0);
        assignEpoch = 1;
      }
      if (sharedShape.kind !== 'prim') assignedSlots(r.shared, sharedShape, 0, assign, moved);
      if (localShapes[t].kind !== 'prim') assignedSlots(r.locals.get(t), localShapes[t], localStart[t], assign, moved);
      for (let x = 0; x < width; x++) {
        if (tracker.wasRead(x)) {
          if (tmp[x] !== vec[x]) pending.push(x, tmp[x]);
        } else if (assigned[x] === assignEpoch || tracker.wasWritten(x)) pending.push(x, tmp[x]);
        else if (tmp[x] !== vec[x]) {
          const step = m.threads[t].steps[vec[pcStart + t]]?.spec.label ?? '?';
          throw new ModelError(
            { model: m.spec.name, thread: m.threads[t].name, step },
            `the vector engine cannot tell how this step changes ${slotNames[x]}: it changed with no tracked read or set (is state changed outside Immutable's API?); --engine immutable checks the model without the vector engine`,
          );
        }
      }
      deltas.push(Int32Array.from(pending));
    }
    const slots = [...tracker.reads];
    const keys = Int32Array.from(slots);
    const keyCodes = Int32Array.from(slots, (x) => vec[x]);
    // A written slot the leaf is keyed on has the same old code in every state reaching the
    // leaf, so its part of the successor's Zobrist key change is fixed here; the others
    // ('loose': set but not read) are the engine's to XOR in.
    const fixedHi: number[] = [];
    const fixedLo: number[] = [];
    const loose: Int32Array[] = [];
    for (const d of deltas) {
      let h = 0;
      let l = 0;
      const rest: number[] = [];
      for (let j = 0; j < d.length; j += 2) {
        const x = d[j];
        const c = d[j + 1];
        if (!slots.includes(x)) rest.push(x, c);
        else if (vec[x] !== c) {
          h ^= keyHi(x, vec[x]) ^ keyHi(x, c);
          l ^= keyLo(x, vec[x]) ^ keyLo(x, c);
        }
      }
      fixedHi.push(h);
      fixedLo.push(l);
      loose.push(Int32Array.from(rest));
    }
    const leaf: ThreadLeaf = { actions: acts, deltas, messages: msgs, fixedHi, fixedLo, loose, keys, keyCodes, touches: [], touchVersion: -2 };
    insert(threadTries[t], vec, slots, leaf, `thread ${m.threads[t].name}'s step`);
    return leaf;
  };

  /** Recomputes which invariants each of `leaf`'s deltas may change, as of shared version `version`. */
  const touchesOf = (leaf: ThreadLeaf, version: number): void => {
    leaf.touches.length = 0;
    for (const d of leaf.deltas) {
      let mask = -1;
      if (sharedReads !== null) {
        mask = 0;
        // Bits for invariants 0-30 only: the engine checks the others on every successor.
        for (let q = 0; q < Math.min(invariants.length, 31); q++) {
          const at = 1 + q * words;
          for (let j = 0; j < d.length; j += 2) {
            if ((Atomics.load(sharedReads, at + (d[j] >>> 5)) & (1 << (d[j] & 31))) !== 0) {
              mask |= 1 << q;
              break;
            }
          }
        }
      }
      leaf.touches.push(mask);
    }
    leaf.touchVersion = version;
  };

  /** True when `vec` reaches `leaf` (it has the leaf's codes at the leaf's key slots). */
  const reaches = (vec: Int32Array, leaf: ThreadLeaf): boolean => {
    const keys = leaf.keys;
    const codes = leaf.keyCodes;
    for (let j = 0; j < keys.length; j++) if (vec[keys[j]] !== codes[j]) return false;
    return true;
  };

  const successors = (vec: Int32Array, out: Successors): void => {
    out.clear();
    const version = sharedVersion();
    for (let t = 0; t < n; t++) {
      const last = lastLeaf[t];
      let leaf: ThreadLeaf | undefined;
      if (last !== undefined && reaches(vec, last)) {
        leaf = last;
        kept++;
      } else leaf = threadTries[t].lookup(vec);
      if (leaf === undefined) {
        misses++;
        leaf = missThread(t, vec);
      } else hits++;
      lastLeaf[t] = leaf;
      if (leaf.touchVersion !== version) touchesOf(leaf, version);
      out.add(leaf);
    }
  };

  /**
   * Runs `check` on the state of `vec` with tracking and memoises its result in `trie`, keyed
   * on the slots it read (returned, for invariants' read sets). A miss of a whole-state check.
   */
  const missState = <T>(trie: MemoTrie<T>, vec: Int32Array, check: (s: DslState<S>) => T, what: string): { value: T; slots: number[] } => {
    misses++;
    tracker.start();
    if (sharedShape.kind === 'prim') tracker.read(0);
    let value: T;
    try {
      value = check(decodeState(vec, true, -1));
    } finally {
      tracker.stop();
    }
    const slots = [...tracker.reads];
    insert(trie, vec, slots, value, what);
    return { value, slots };
  };

  const checkInvariant = (i: number, vec: Int32Array): string | null => {
    const leaf = invariantTries[i].lookup(vec);
    if (leaf !== undefined) {
      hits++;
      return leaf;
    }
    const { value, slots } = missState(invariantTries[i], vec, invariants[i].check, `invariant '${invariants[i].name}'`);
    addReads(invariantReads[i], slots);
    publishReads(i);
    return value;
  };

  const predicate = (j: number, vec: Int32Array): boolean => {
    const leaf = predicateTries[j].lookup(vec);
    if (leaf !== undefined) {
      hits++;
      return leaf;
    }
    return missState(predicateTries[j], vec, predicates[j], 'a liveness predicate').value;
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

  const memoStats = (): MemoStats => {
    let nodes = 0;
    let flushes = 0;
    for (const tr of [...threadTries, ...invariantTries, ...predicateTries]) {
      nodes += tr.nodes;
      flushes += tr.flushes;
    }
    return { hits, kept, misses, nodes, flushes };
  };

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
    checkInvariant,
    transitionCount: transitionProps.length,
    isEnd,
    predicateCount: predicates.length,
    predicate,
    processOf: (action) => m.processOf(action as number),
    canonical,
    takeHashedStrings: () => strings.takeHashed(),
    learnStrings: (xs) => strings.learn(xs),
    memoStats,
    slotName,
    invariantReadsBytes: 4 * (1 + invariants.length * words),
    shareInvariantReads,
  };
}

export { Successors };
