// Expanding one range of a level whose states are vectors (the vector engine): unpack each
// state, take its transitions from the vector model's memo tries, compute each successor's
// fingerprint from the parent's by the slots it writes (Zobrist), and keep the successors the
// Dedupe admits, packed into a block; invariants of kept successors come from memo tries too.
//
// The first states of the search (the same ones the determinism check samples) are also
// expanded by the Immutable model and compared: a vector model that disagreed with its model
// would be reported there, naming the step and the slot.
import { ModelError } from '../model/errors.ts';
import { Successors, type Transitions, type VectorModel } from '../model/vector.ts';
import { checkDeterminism, DETERMINISM_SAMPLE } from '../explore/determinism.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import { NotVectorizableError } from '../state/layout.ts';
import { validateState } from '../state/validate.ts';
import { packEdit, packVector, unpackVectorRaw } from '../state/packed.ts';
import { StateBoundReached, TableBudgetError, emptyBlock, type BlockBuilder, type Dedupe, type LevelCursor } from './blocks.ts';
import type { ByteSink } from '../state/codec.ts';
import type { Zobrist } from '../state/zobrist.ts';
import type { Loaded } from './loaded.ts';
import { addSample, isSampled } from './model-identity.ts';
import { locateMessage } from './expand-values.ts';
import { CONTROL_STOP, rangeBounds, type ExpandTask, type RangeResult, type WorkerEvent } from './protocol.ts';
import { labelWords, RangeGraphBuilder } from '../explore/liveness/range-graph.ts';

/**
 * Expands `state` as the immutable engine would (actions, then each successor, validated and
 * fingerprinted, then the invariants of each) and returns the located message of the first
 * error, or null when none occurs: so an error met by the vector engine reads exactly as the
 * immutable engine reports it.
 */
export function immutableFailure(L: Loaded, state: unknown): string | null {
  const model = L.model;
  let action: unknown;
  const fp = new Uint32Array(2);
  try {
    const acts = model.actions(state);
    for (const a of acts) {
      action = a;
      const s2 = model.next(state, a);
      for (const tp of L.transitions) tp.check(state, a, s2);
      try {
        fingerprintInto(s2, fp);
      } catch (e) {
        validateState(s2);
        throw e;
      }
      for (const inv of L.invariants) inv.check(s2);
    }
    return null;
  } catch (e) {
    return locateMessage(model, state, action, e);
  }
}

/** Compares the vector model's transitions of `vec` with the model's own; throws on a difference. */
function crossCheck(L: Loaded, vec: Int32Array, succ: Successors, state: unknown): void {
  const vm = L.vector!;
  const model = L.model;
  const acts = model.actions(state);
  checkDeterminism(model, state, acts);
  const fail = (what: string) => {
    throw new ModelError({ model: model.name }, `the vector engine disagrees with the model on ${what} — please report this; --engine immutable checks the model without it`);
  };
  if (acts.length !== succ.count) fail(`the number of enabled steps (${succ.count} against ${acts.length})`);
  const expect = new Int32Array(vm.width);
  const got = new Int32Array(vm.width);
  for (let i = 0; i < acts.length; i++) {
    const { g, k } = succ.at(i);
    if (!Object.is(acts[i], g.actions[k])) fail(`step #${i + 1} ('${model.formatAction(state, acts[i])}')`);
    const s2 = model.next(state, acts[i]);
    vm.encode(s2, expect);
    got.set(vec);
    const d = g.deltas[k];
    for (let j = 0; j < d.length; j += 2) got[d[j]] = d[j + 1];
    for (let x = 0; x < vm.width; x++) {
      if (got[x] !== expect[x]) fail(`what step '${model.formatAction(state, acts[i])}' writes to ${vm.slotName(x)}`);
    }
    for (let q = 0; q < L.invariants.length; q++) {
      if (L.invariants[q].check(s2) !== vm.checkInvariant(q, got)) fail(`invariant '${L.invariants[q].name}' after step '${model.formatAction(state, acts[i])}'`);
    }
  }
}

/** Per-thread scratch of the vector expander. */
interface Scratch {
  readonly cur: Int32Array;
  /** `cur` packed raw (packed.ts), when it is. */
  readonly curRaw: Uint8Array;
  readonly nxt: Int32Array;
  readonly canon: Int32Array;
  readonly succ: Successors;
  readonly fp: Uint32Array;
  /** Partial-order reduction: the state's actions, for the persistent-set choice. */
  readonly acts: unknown[];
}
const scratchOf = new WeakMap<Loaded, Scratch>();

function scratch(L: Loaded): Scratch {
  let sc = scratchOf.get(L);
  if (sc === undefined) {
    const W = L.vector!.width;
    sc = { cur: new Int32Array(W), curRaw: new Uint8Array(W), nxt: new Int32Array(W), canon: new Int32Array(W), succ: new Successors(), fp: new Uint32Array(2), acts: [] };
    scratchOf.set(L, sc);
  }
  return sc;
}

/** What expanding the states of one range needs, and what it has found so far. */
interface VectorRange extends Scratch {
  readonly L: Loaded;
  readonly vm: VectorModel<unknown>;
  readonly z: Zobrist;
  readonly canonical: ((vec: Int32Array, out: Int32Array) => void) | undefined;
  readonly dedupe: Dedupe;
  readonly out: BlockBuilder;
  readonly sink: ByteSink;
  /** The invariants checked on kept successors (indices), the transition properties' names and which are skipped. */
  readonly invIdx: readonly number[];
  readonly transNames: readonly string[];
  readonly transSkip: readonly boolean[];
  /** The transition properties already reported in this range. */
  readonly transSeen: Uint8Array;
  readonly events: WorkerEvent[];
  readonly rec: RangeGraphBuilder | undefined;
}

function vectorRange(L: Loaded, task: ExpandTask, dedupe: Dedupe, checkInvariants: boolean): VectorRange {
  const vm = L.vector!;
  const skip = new Set(task.skip);
  const invIdx: number[] = [];
  if (checkInvariants) for (let q = 0; q < L.invariants.length; q++) if (!skip.has(L.invariants[q].name)) invIdx.push(q);
  const transNames = L.transitions.map((p) => p.name);
  const sink = L.scratch.sink;
  sink.clear();
  const out = L.scratch.builder;
  out.reset(task.tables.length, task.claims !== undefined);
  return {
    ...scratch(L),
    L,
    vm,
    z: L.zobrist!,
    canonical: vm.canonical,
    dedupe,
    out,
    sink,
    invIdx,
    transNames,
    transSkip: transNames.map((name) => skip.has(name)),
    transSeen: new Uint8Array(transNames.length),
    events: [],
    rec: undefined,
  };
}

/** Where the expansion of a range has got to: what the range's result reports. */
interface RangeProgress {
  /** The position being expanded (where an error happened). */
  pos: number;
  transitions: number;
  stopped: boolean;
  /** Transitions taken per position of the range. */
  readonly actionCounts: Uint32Array;
  /** Partial-order reduction's subsets, for the figures of a level cut by --max-states. */
  readonly subsets: Map<number, readonly number[]>;
  readonly samples: number[];
}

/** Expands range `range` of the task's level. */
export function expandVectorRange(L: Loaded, task: ExpandTask, range: number, cursor: LevelCursor, dedupe: Dedupe, direct: boolean, checkInvariants: boolean, sample = false): RangeResult {
  const { from, to } = rangeBounds(task.level, range);
  // Liveness: this range's part of the state graph.
  const x: VectorRange = { ...vectorRange(L, task, dedupe, checkInvariants), rec: task.graph ? new RangeGraphBuilder(labelWords(L.vector!.predicateCount), to - from) : undefined };
  const p: RangeProgress = { pos: from, transitions: 0, stopped: false, actionCounts: new Uint32Array(to - from), subsets: new Map(), samples: [] };
  let cut: RangeResult['cut'];
  try {
    expandStates(x, task, cursor, from, to, sample, p);
  } catch (e) {
    if (e instanceof TableBudgetError) throw e;
    if (e instanceof StateBoundReached) cut = { pos: e.pos, action: e.action };
    else return rangeFailure(L, range, p.actionCounts, p.transitions, p.pos, x.cur, e);
  }
  const { actionCounts, transitions, stopped, subsets, samples } = p;
  const { rec } = x;
  return { range, block: x.out.finish(x.sink, direct, L.scratch.recycler, task.expansion), actionCounts, transitions, events: x.events, stopped, ...(cut !== undefined ? { cut } : {}), ...(subsets.size > 0 ? { subsets } : {}), ...(samples.length > 0 ? { samples: Int32Array.from(samples) } : {}), ...(rec !== undefined ? { graph: rec.finish() } : {}) };
}

/**
 * Expands the states at positions [from, to) of the level, in order: each state's
 * transitions (all, or a persistent subset) report transition properties; each successor is
 * keyed from its parent's key by the slots it writes (Zobrist) and kept if the dedupe admits
 * it, its invariants checked. One loop, per state and per transition, for speed (a call per
 * state cost the vector engine 8% on kvm 2/2/5).
 */
function expandStates(x: VectorRange, task: ExpandTask, cursor: LevelCursor, from: number, to: number, sample: boolean, p: RangeProgress): void {
  const { L, vm, z, cur, curRaw, nxt, canon, fp, succ, canonical, rec, dedupe, out, sink, invIdx, transNames, transSkip, transSeen, events } = x;
  const { actionCounts, subsets, samples } = p;
  const dl = L.deadlock !== undefined && !task.skip.includes(L.deadlock.name) ? L.deadlock : undefined;
  const control = new Int32Array(task.control);
  let deadlockSeen = false;
  if (from < to) cursor.seek(from);
  for (let pos = from; pos < to; pos++) {
    p.pos = pos;
    // Before each state: a stop lands within one state's work (stop-request.ts).
    if (Atomics.load(control, CONTROL_STOP) !== 0) return void (p.stopped = true);
    // A raw parent's successors are packed from its bytes (packEdit), not from their vectors.
    const raw = unpackVectorRaw(cursor.bytes[cursor.segment], cursor.offset, cursor.end, cur, curRaw) && canonical === undefined;
    if (canonical !== undefined) z.full(cur, fp);
    const h0 = canonical === undefined ? cursor.hi : fp[0];
    const l0 = canonical === undefined ? cursor.lo : fp[1];
    cursor.advance();
    const parent = task.level.start + pos;
    if (sample && isSampled(parent)) addSample(samples, L, pos, cur);
    vm.successors(cur, succ);
    if (parent < DETERMINISM_SAMPLE) crossCheck(L, cur, succ, vm.decode(cur));
    const n = succ.count;
    actionCounts[pos - from] = n;
    if (rec !== undefined) {
      rec.state();
      for (let j = 0; j < vm.predicateCount; j++) if (vm.predicate(j, cur)) rec.label(j);
    }
    if (n === 0) {
      if (dl !== undefined && !deadlockSeen && !vm.isEnd(cur)) {
        deadlockSeen = true;
        events.push(deadlockEvent(x, dl, pos, h0, l0));
      }
      continue;
    }
    if (!task.expand) continue;
    const chosen = L.select !== undefined && n > 1 ? persistentChoice(x, h0, l0) : null;
    // Transitions taken from this position (the coordinator's figures when a violation cuts
    // the level short).
    actionCounts[pos - from] = chosen === null ? n : chosen.length;
    if (chosen !== null) subsets.set(pos, chosen);
    p.transitions += actionCounts[pos - from];
    let next = 0; // the next of `chosen` to expand
    let i = -1; // transition i (the action index) is the k-th of group g
    for (let g = 0; g < succ.groups; g++) {
      const T = succ.group[g];
      const deltas = T.deltas;
      for (let k = 0; k < deltas.length; k++) {
        i++;
        if (chosen !== null) {
          if (chosen[next] !== i) continue;
          next++;
        }
        const msgs = T.messages[k];
        if (msgs !== null) {
          for (let t = 0; t < msgs.length; t++) {
            const msg = msgs[t];
            if (msg === null || transSkip[t] || transSeen[t]) continue;
            transSeen[t] = 1;
            events.push({ property: transNames[t], kind: 'transition', message: msg, pos, action: i, candidate: -1, hi: 0, lo: 0 });
          }
        }
        const d = deltas[k];
        let kh: number;
        let kl: number;
        if (canonical === undefined) {
          kh = h0 ^ T.fixedHi[k];
          kl = l0 ^ T.fixedLo[k];
          const loose = T.loose[k];
          for (let j = 0; j < loose.length; j += 2) {
            const s = loose[j];
            const c = loose[j + 1];
            const o = cur[s];
            if (o !== c) {
              kh ^= z.hiOf(s, o) ^ z.hiOf(s, c);
              kl ^= z.loOf(s, o) ^ z.loOf(s, c);
            }
          }
          rec?.edge(kh, kl, vm.processOf(T.actions[k]));
          if (!dedupe.admit(kh, kl, pos, i)) continue;
        } else {
          buildSuccessor(cur, d, nxt);
          canonical(nxt, canon);
          z.full(canon, fp);
          kh = fp[0];
          kl = fp[1];
          rec?.edge(kh, kl, vm.processOf(T.actions[k]));
          if (!dedupe.admit(kh, kl, pos, i)) continue;
        }
        const c = out.count;
        // Without canonical forms the successor's vector (nxt) is made only when needed.
        let built = canonical !== undefined;
        let at = raw ? packEdit(curRaw, d, sink) : -1;
        if (at < 0) {
          if (!built) buildSuccessor(cur, d, nxt);
          built = true;
          at = packVector(nxt, sink);
        }
        out.push(kh, kl, parent, i, at, dedupe.entry);
        const touches = T.touches[k];
        for (let q2 = 0; q2 < invIdx.length; q2++) {
          const q = invIdx[q2];
          // A step that writes no slot invariant q reads keeps the parent's verdict: it held
          // (a stored state that broke q would have been reported, and q skipped since).
          if (q < 31 && ((touches >>> q) & 1) === 0) continue;
          if (!built) buildSuccessor(cur, d, nxt);
          built = true;
          const msg = vm.checkInvariant(q, nxt);
          if (msg !== null) events.push({ property: L.invariants[q].name, kind: 'invariant', message: msg, pos, action: i, candidate: c, hi: kh >>> 0, lo: kl >>> 0 });
        }
      }
    }
  }
}

/** Writes into `nxt` the vector `cur` with the writes `d` ([slot, code, …]). */
function buildSuccessor(cur: Int32Array, d: Int32Array, nxt: Int32Array): void {
  nxt.set(cur);
  for (let j = 0; j < d.length; j += 2) nxt[d[j]] = d[j + 1];
}

/** The deadlock of the state in `x.cur` (key h0, l0), at position `pos`. */
function deadlockEvent(x: VectorRange, dl: NonNullable<Loaded['deadlock']>, pos: number, h0: number, l0: number): WorkerEvent {
  const { canonical, cur, canon, fp } = x;
  if (canonical !== undefined) {
    canonical(cur, canon);
    x.z.full(canon, fp);
  } else {
    fp[0] = h0;
    fp[1] = l0;
  }
  return { property: dl.name, kind: 'deadlock', message: `no thread can move: ${dl.explain(x.vm.decode(cur))}`, pos, action: -1, candidate: -1, hi: fp[0], lo: fp[1] };
}

/**
 * The key (fingerprint) of the successor by transition k of group T of `cur`, whose own key
 * is (h0, l0), into `out`: the parent's, changed by the slots the step writes (Zobrist).
 */
export function keyAfter(z: Zobrist, T: Transitions, k: number, cur: Int32Array, h0: number, l0: number, out: Uint32Array): void {
  let kh = h0 ^ T.fixedHi[k];
  let kl = l0 ^ T.fixedLo[k];
  const loose = T.loose[k];
  for (let j = 0; j < loose.length; j += 2) {
    const o = cur[loose[j]];
    const c = loose[j + 1];
    if (o !== c) {
      kh ^= z.hiOf(loose[j], o) ^ z.hiOf(loose[j], c);
      kl ^= z.loOf(loose[j], o) ^ z.loOf(loose[j], c);
    }
  }
  out[0] = kh;
  out[1] = kl;
}

/** The seen-set key of transition k of group T from `x.cur` (key h0, l0), into `x.fp`. */
function successorKey(x: VectorRange, T: Transitions, k: number, h0: number, l0: number): void {
  const { cur, nxt, canon, fp, z, canonical } = x;
  if (canonical === undefined) return keyAfter(z, T, k, cur, h0, l0, fp);
  buildSuccessor(cur, T.deltas[k], nxt);
  canonical(nxt, canon);
  z.full(canon, fp);
}

/**
 * Partial-order reduction: a persistent subset of the state's transitions, kept only under
 * the cycle proviso, as for Immutable values (expand-values.ts): no selected successor may be
 * a state stored at this depth or before. Null: every transition.
 */
function persistentChoice(x: VectorRange, h0: number, l0: number): readonly number[] | null {
  const { acts, succ, fp } = x;
  acts.length = 0;
  for (let g = 0; g < succ.groups; g++) for (const a of succ.group[g].actions) acts.push(a);
  const chosen = x.L.select!(x.cur, acts);
  if (chosen === null || chosen.length >= succ.count) return null;
  for (const c of chosen) {
    const { g, k } = succ.at(c);
    successorKey(x, g, k, h0, l0);
    if (x.dedupe.storedBefore(fp[0], fp[1])) return null;
  }
  return chosen;
}

/** The result of a range whose expansion failed at position `pos` (state `cur`) with `e`. */
function rangeFailure(L: Loaded, range: number, actionCounts: Uint32Array, transitions: number, pos: number, cur: Int32Array, e: unknown): RangeResult {
  const state = L.vector!.decode(cur);
  if (e instanceof NotVectorizableError) {
    // An invalid successor reads as the immutable engine reports it; a valid one without a
    // fixed layout sends the search back to Immutable values.
    const failure = immutableFailure(L, state);
    if (failure === null) return { range, block: emptyBlock(), actionCounts, transitions, events: [], stopped: false, notVectorizable: e.message };
    return { range, block: emptyBlock(), actionCounts, transitions, events: [], stopped: false, error: { pos, message: failure } };
  }
  const message = e instanceof ModelError ? immutableFailure(L, state) ?? e.message : immutableFailure(L, state) ?? locateMessage(L.model, state, undefined, e);
  return { range, block: emptyBlock(), actionCounts, transitions, events: [], stopped: false, error: { pos, message, stack: (e as Error)?.stack } };
}
