// Expanding one range of a level whose states are vectors (the vector engine): unpack each
// state, take its transitions from the vector model's memo tries, compute each successor's
// fingerprint from the parent's by the slots it writes (Zobrist), and keep the successors the
// Dedupe admits, packed into a block; invariants of kept successors come from memo tries too.
//
// The first states of the search (the same ones the determinism check samples) are also
// expanded by the Immutable model and compared: a vector model that disagreed with its model
// would be reported there, naming the step and the slot.
import type { Model } from '../model/model.ts';
import { ModelError } from '../model/errors.ts';
import { Successors, type Transitions } from '../model/vector.ts';
import { checkDeterminism, DETERMINISM_SAMPLE } from '../explore/determinism.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import { NotVectorizableError } from '../state/layout.ts';
import { validateState } from '../state/validate.ts';
import { packVector, unpackVector } from '../state/packed.ts';
import { StateBoundReached, TableBudgetError, emptyBlock, type Dedupe, type LevelCursor } from './blocks.ts';
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
function immutableFailure(L: Loaded, state: unknown): string | null {
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
  readonly nxt: Int32Array;
  readonly canon: Int32Array;
  readonly succ: Successors;
  readonly fp: Uint32Array;
  /** Partial-order reduction: the state's actions, for the persistent-set choice. */
  readonly acts: unknown[];
}
const scratchOf = new WeakMap<Loaded, Scratch>();

// FIXME(function-length): expandVectorRange is 213 lines, over the 120 a reader can take in (test/package/function-length.test.ts holds it there): split it into named parts.
/** Expands range `range` of the task's level. */
export function expandVectorRange(L: Loaded, task: ExpandTask, range: number, cursor: LevelCursor, dedupe: Dedupe, direct: boolean, checkInvariants: boolean, sample = false): RangeResult {
  const vm = L.vector!;
  const z = L.zobrist!;
  const model: Model<unknown, unknown> = L.model;
  let sc = scratchOf.get(L);
  if (sc === undefined) {
    const W = vm.width;
    sc = { cur: new Int32Array(W), nxt: new Int32Array(W), canon: new Int32Array(W), succ: new Successors(), fp: new Uint32Array(2), acts: [] };
    scratchOf.set(L, sc);
  }
  const { cur, nxt, canon, succ, fp, acts } = sc;
  const select = L.select;
  /** The seen-set key of transition k of group T from `cur` (key hi, lo: h0, l0) into `fp`. */
  const successorKey = (T: Transitions, k: number, h0: number, l0: number): void => {
    if (canonical === undefined) {
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
      fp[0] = kh;
      fp[1] = kl;
      return;
    }
    nxt.set(cur);
    const d = T.deltas[k];
    for (let j = 0; j < d.length; j += 2) nxt[d[j]] = d[j + 1];
    canonical(nxt, canon);
    z.full(canon, fp);
  };
  const canonical = vm.canonical;
  const skip = new Set(task.skip);
  const invIdx: number[] = [];
  if (checkInvariants) for (let q = 0; q < L.invariants.length; q++) if (!skip.has(L.invariants[q].name)) invIdx.push(q);
  const transNames = L.transitions.map((p) => p.name);
  const transSkip = transNames.map((name) => skip.has(name));
  const dl = L.deadlock !== undefined && !skip.has(L.deadlock.name) ? L.deadlock : undefined;
  const control = new Int32Array(task.control);
  const { from, to } = rangeBounds(task.level, range);
  const sink = L.scratch.sink;
  sink.clear();
  const out = L.scratch.builder;
  out.reset(task.tables.length, task.claims !== undefined);
  const events: WorkerEvent[] = [];
  const transSeen = new Uint8Array(transNames.length);
  let deadlockSeen = false;
  const actionCounts = new Uint32Array(to - from);
  // Liveness: this range's part of the state graph.
  const rec = task.graph ? new RangeGraphBuilder(labelWords(vm.predicateCount), to - from) : undefined;
  const levelStart = task.level.start;
  const expand = task.expand;
  let transitions = 0;
  const samples: number[] = [];
  // Partial-order reduction's subsets, for the figures of a level cut by --max-states.
  const subsets = new Map<number, readonly number[]>();
  let stopped = false;
  let cut: RangeResult['cut'];
  let pos = from;
  try {
    if (from < to) cursor.seek(from);
    for (; pos < to; pos++) {
      // Before each state: a stop lands within one state's work (stop-request.ts).
      if (Atomics.load(control, CONTROL_STOP) !== 0) {
        stopped = true;
        break;
      }
      unpackVector(cursor.bytes[cursor.segment], cursor.offset, cursor.end, cur);
      let h0: number;
      let l0: number;
      if (canonical === undefined) {
        h0 = cursor.hi;
        l0 = cursor.lo;
      } else {
        z.full(cur, fp);
        h0 = fp[0];
        l0 = fp[1];
      }
      cursor.advance();
      const parent = levelStart + pos;
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
          if (canonical !== undefined) {
            canonical(cur, canon);
            z.full(canon, fp);
          } else {
            fp[0] = h0;
            fp[1] = l0;
          }
          events.push({ property: dl.name, kind: 'deadlock', message: `no thread can move: ${dl.explain(vm.decode(cur))}`, pos, action: -1, candidate: -1, hi: fp[0], lo: fp[1] });
        }
        continue;
      }
      if (!expand) continue;
      // Partial-order reduction: a persistent subset, kept only under the cycle proviso, as
      // for Immutable values (expand-values.ts): no selected successor may be a state stored
      // at this depth or before.
      let chosen: readonly number[] | null = null;
      if (select !== undefined && n > 1) {
        acts.length = 0;
        for (let g = 0; g < succ.groups; g++) for (const a of succ.group[g].actions) acts.push(a);
        chosen = select(cur, acts);
        if (chosen !== null && chosen.length < n) {
          for (const c of chosen) {
            const { g, k } = succ.at(c);
            successorKey(g, k, h0, l0);
            if (dedupe.storedBefore(fp[0], fp[1])) {
              chosen = null;
              break;
            }
          }
        } else chosen = null;
      }
      const expandCount = chosen === null ? n : chosen.length;
      // Transitions taken from this position (the coordinator's figures when a violation
      // cuts the level short).
      actionCounts[pos - from] = expandCount;
      if (chosen !== null) subsets.set(pos, chosen);
      transitions += expandCount;
      let next = 0; // the next of `chosen` to expand
      // Transition i (the action index) is the k-th of group g.
      let i = -1;
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
            nxt.set(cur);
            for (let j = 0; j < d.length; j += 2) nxt[d[j]] = d[j + 1];
          } else {
            nxt.set(cur);
            for (let j = 0; j < d.length; j += 2) nxt[d[j]] = d[j + 1];
            canonical(nxt, canon);
            z.full(canon, fp);
            kh = fp[0];
            kl = fp[1];
            rec?.edge(kh, kl, vm.processOf(T.actions[k]));
            if (!dedupe.admit(kh, kl, pos, i)) continue;
          }
          const c = out.count;
          out.push(kh, kl, parent, i, packVector(nxt, sink), dedupe.entry);
          const touches = T.touches[k];
          for (let x = 0; x < invIdx.length; x++) {
            const q = invIdx[x];
            // A step that writes no slot invariant q reads keeps the parent's verdict: it held
            // (a stored state that broke q would have been reported, and q skipped since).
            if (q < 31 && ((touches >>> q) & 1) === 0) continue;
            const msg = vm.checkInvariant(q, nxt);
            if (msg !== null) events.push({ property: L.invariants[q].name, kind: 'invariant', message: msg, pos, action: i, candidate: c, hi: kh >>> 0, lo: kl >>> 0 });
          }
        }
      }
    }
  } catch (e) {
    if (e instanceof TableBudgetError) throw e;
    if (e instanceof StateBoundReached) cut = { pos: e.pos, action: e.action };
    else return rangeFailure(L, range, actionCounts, transitions, pos, cur, e);
  }
  return { range, block: out.finish(sink, direct, L.scratch.recycler, task.expansion), actionCounts, transitions, events, stopped, ...(cut !== undefined ? { cut } : {}), ...(subsets.size > 0 ? { subsets } : {}), ...(samples.length > 0 ? { samples: Int32Array.from(samples) } : {}), ...(rec !== undefined ? { graph: rec.finish() } : {}) };
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
