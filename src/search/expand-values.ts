// Expanding one range of a level whose states are Immutable values (the immutable engine):
// decode each state from the level's blocks, generate its successors in action order, check
// properties, and keep the successors the Dedupe admits, encoded (StateCodec) into a block.
import type { Model } from '../model/model.ts';
import { ModelError, errorText } from '../model/errors.ts';
import { checkDeterminism, DETERMINISM_SAMPLE } from '../explore/determinism.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import { InvalidStateError, validateState } from '../state/validate.ts';
import { StateBoundReached, TableBudgetError, emptyBlock, type Dedupe, type LevelCursor } from './blocks.ts';
import type { Loaded } from './loaded.ts';
import { addSample, isSampled } from './model-identity.ts';
import { CONTROL_STOP, rangeBounds, type ExpandTask, type RangeResult, type WorkerEvent } from './protocol.ts';
import { labelWords, RangeGraphBuilder } from '../explore/liveness/range-graph.ts';

/** A located one-line message for an error met while expanding `state` (by `action`). */
export function locateMessage(model: Model<unknown, unknown>, state: unknown, action: unknown, e: unknown): string {
  let where = 'a state';
  try {
    where = action === undefined ? 'a state' : `the state after step '${model.formatAction(state, action)}'`;
  } catch {
    where = 'a successor state';
  }
  if (e instanceof ModelError) return e.message;
  if (e instanceof InvalidStateError) return new ModelError({ model: model.name }, `${where}: ${e.message}`).message;
  return new ModelError({ model: model.name }, `${where}: ${errorText(e)}`).message;
}

/** Every enabled action expanded: no persistent subset. */
const NO_CHOICE = { chosen: null, presampled: null } as const;

/**
 * Partial-order reduction's persistent subset of `acts` from `state`, with the successors it
 * computed, kept only under the cycle proviso: no selected successor may be a state stored at
 * this depth or before — exactly the states in the table while the level is expanded, since
 * its new states are inserted only after it. Else every action (`chosen` null). `taking` is
 * told each action before its step runs (an error names it).
 */
function persistentChoice(L: Loaded, state: unknown, acts: readonly unknown[], dedupe: Dedupe, fp: Uint32Array, taking: (action: unknown) => void): { chosen: readonly number[] | null; presampled: unknown[] | null } {
  const chosen = L.select!(state, acts);
  if (chosen === null || chosen.length >= acts.length) return NO_CHOICE;
  const presampled: unknown[] = [];
  for (let j = 0; j < chosen.length; j++) {
    taking(acts[chosen[j]]);
    const s2 = L.model.next(state, acts[chosen[j]]);
    L.keyOf(s2, fp);
    if (dedupe.storedBefore(fp[0], fp[1])) return NO_CHOICE;
    presampled.push(s2);
  }
  return { chosen, presampled };
}

/** Expands range `range` of the task's level. */
export function expandValueRange(L: Loaded, task: ExpandTask, range: number, cursor: LevelCursor, dedupe: Dedupe, direct: boolean, sample = false): RangeResult {
  const { model, codec, keyOf, select } = L;
  const skip = new Set(task.skip);
  const inv = L.invariants.filter((p) => !skip.has(p.name));
  const trans = L.transitions.filter((p) => !skip.has(p.name));
  const dl = L.deadlock !== undefined && !skip.has(L.deadlock.name) ? L.deadlock : undefined;
  const control = new Int32Array(task.control);
  const { from, to } = rangeBounds(task.level, range);
  const fp = new Uint32Array(2);
  const sink = L.scratch.sink;
  sink.clear();
  const out = L.scratch.builder;
  out.reset(task.tables.length, task.claims !== undefined);
  const events: WorkerEvent[] = [];
  const firstEvent = new Set<string>();
  const actionCounts = new Uint32Array(to - from);
  // Liveness: this range's part of the state graph.
  const rec = task.graph ? new RangeGraphBuilder(labelWords(L.predicates.length), to - from) : undefined;
  const procOf = model.processes !== undefined ? (s: unknown, a: unknown) => model.processes!.of(s, a) : () => 0;
  let transitions = 0;
  // Partial-order reduction's subsets, for the figures of a level cut by --max-states.
  const subsets = new Map<number, readonly number[]>();
  const samples: number[] = [];
  let stopped = false;
  let cut: RangeResult['cut'];
  let state: unknown;
  let action: unknown;
  let pos = from;
  try {
    if (from < to) cursor.seek(from);
    for (; pos < to; pos++) {
      // Before each state: a stop lands within one state's work (stop-request.ts).
      if (Atomics.load(control, CONTROL_STOP) !== 0) {
        stopped = true;
        break;
      }
      state = codec.decode(cursor.bytes[cursor.segment], cursor.offset);
      action = undefined;
      cursor.advance();
      const parent = task.level.start + pos;
      if (sample && isSampled(parent)) addSample(samples, L, pos, state);
      const acts = model.actions(state);
      // The same early determinism check as the sequential search, on the same states
      // (the first expanded in BFS order), whichever thread holds them.
      if (parent < DETERMINISM_SAMPLE) checkDeterminism(model, state, acts);
      actionCounts[pos - from] = acts.length;
      if (rec !== undefined) {
        rec.state();
        for (let j = 0; j < L.predicates.length; j++) if (L.predicates[j](state)) rec.label(j);
      }
      if (acts.length === 0) {
        if (dl !== undefined && !firstEvent.has(dl.name) && !dl.isEnd(state)) {
          firstEvent.add(dl.name);
          keyOf(state, fp);
          events.push({ property: dl.name, kind: 'deadlock', message: `no thread can move: ${dl.explain(state)}`, pos, action: -1, candidate: -1, hi: fp[0], lo: fp[1] });
        }
        continue;
      }
      if (!task.expand) continue;
      const { chosen, presampled } = select !== undefined ? persistentChoice(L, state, acts, dedupe, fp, (a) => (action = a)) : NO_CHOICE;
      const expandCount = chosen === null ? acts.length : chosen.length;
      // Transitions taken from this position (the coordinator's figures when a violation
      // cuts the level short).
      actionCounts[pos - from] = expandCount;
      if (chosen !== null) subsets.set(pos, chosen);
      for (let j = 0; j < expandCount; j++) {
        const i = chosen === null ? j : chosen[j];
        const a = acts[i];
        action = a;
        const s2 = presampled !== null ? presampled[j] : model.next(state, a);
        transitions++;
        for (let t = 0; t < trans.length; t++) {
          const tp = trans[t];
          if (firstEvent.has(tp.name)) continue;
          const msg = tp.check(state, a, s2);
          if (msg !== null) {
            firstEvent.add(tp.name);
            events.push({ property: tp.name, kind: 'transition', message: msg, pos, action: i, candidate: -1, hi: 0, lo: 0 });
          }
        }
        // Fingerprinting validates what it hashes (fingerprint.ts); a symmetry key hashes a
        // permuted copy, so then new states are validated separately.
        try {
          keyOf(s2, fp);
        } catch (e) {
          validateState(s2);
          throw e;
        }
        rec?.edge(fp[0], fp[1], procOf(state, a));
        if (!dedupe.admit(fp[0], fp[1], pos, i)) continue;
        if (keyOf !== fingerprintInto) validateState(s2);
        const c = out.count;
        out.push(fp[0], fp[1], parent, i, codec.encode(s2, sink), dedupe.entry);
        for (let t = 0; t < inv.length; t++) {
          const msg = inv[t].check(s2);
          if (msg !== null) events.push({ property: inv[t].name, kind: 'invariant', message: msg, pos, action: i, candidate: c, hi: fp[0], lo: fp[1] });
        }
      }
    }
  } catch (e) {
    if (e instanceof TableBudgetError) throw e;
    if (!(e instanceof StateBoundReached)) return { range, block: emptyBlock(), actionCounts, transitions, events: [], stopped: false, error: { pos, message: locateMessage(model, state, action, e), stack: (e as Error)?.stack } };
    cut = { pos: e.pos, action: e.action };
  }
  return { range, block: out.finish(sink, direct, L.scratch.recycler, task.expansion), actionCounts, transitions, events, stopped, ...(cut !== undefined ? { cut } : {}), ...(subsets.size > 0 ? { subsets } : {}), ...(samples.length > 0 ? { samples: Int32Array.from(samples) } : {}), ...(rec !== undefined ? { graph: rec.finish() } : {}) };
}
