// Worker-thread side of the parallel search: expands a range of a BFS level (decoding states
// from shared frontier blocks, generating successors, checking properties, keeping the
// successors not yet in the shared seen set) and merges candidates into the seen set.
//
// The model is imported by file path and built from its parameters once per thread; its
// closures never cross threads.
import { pathToFileURL } from 'node:url';
import { propertiesByKind, type Model, type PropertiesByKind } from '../model/model.ts';
import { isModelDefinition } from '../model/definition.ts';
import { checkDeterminism, DETERMINISM_SAMPLE } from '../explore/determinism.ts';
import { ModelError, errorText } from '../model/errors.ts';
import { resolveParams } from '../model/params.ts';
import { SeenSet } from '../explore/seen-set.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import { ByteSink, StateCodec } from '../state/codec.ts';
import { InvalidStateError, validateState } from '../state/validate.ts';
import { SharedSeenSet } from './shared-seen-set.ts';
import { reductionFor } from '../reduce/reduction.ts';
import {
  CONTROL_STOP,
  partitionOf,
  type CandidateBlock,
  type ExpandResult,
  type ExpandTask,
  type MergeResult,
  type MergeTask,
  type ModelSource,
  type Task,
  type WorkerEvent,
} from './protocol.ts';

interface Loaded extends PropertiesByKind<unknown, unknown> {
  readonly model: Model<unknown, unknown>;
  readonly codec: StateCodec;
  /** The state's seen-set key: its fingerprint, or (symmetry) its representative's. */
  readonly keyOf: (state: unknown, out: Uint32Array) => void;
  /** Partial-order reduction: the persistent subset of the enabled actions to expand. */
  readonly select?: (state: unknown, actions: readonly unknown[]) => readonly number[] | null;
}

const loaded = new Map<string, Promise<Loaded>>();

async function load(source: ModelSource): Promise<Loaded> {
  const key = JSON.stringify([source.file, source.params, source.reduction ?? {}]);
  let p = loaded.get(key);
  if (p === undefined) {
    p = (async () => {
      const mod = (await import(pathToFileURL(source.file).href)) as Record<string, unknown>;
      const def = mod.default ?? mod.model;
      if (!isModelDefinition(def)) throw new Error(`${source.file} has no default export made with defineModel`);
      const model = def.build(resolveParams(def.params, source.params, def.name) as never) as Model<unknown, unknown>;
      const codec = new StateCodec();
      for (const s of model.initStates()) codec.learnFrom(s);
      codec.takeNewDescriptors();
      // The coordinator built the same reduction before starting the search, so this succeeds.
      const reduced = reductionFor(model, source.reduction ?? {});
      if (!reduced.ok) throw new Error(reduced.reason);
      return {
        model,
        codec,
        keyOf: reduced.reduction?.key ?? fingerprintInto,
        select: reduced.reduction?.select,
        ...propertiesByKind(model),
      };
    })();
    loaded.set(key, p);
  }
  return p;
}

/** A growable Uint32 array. */
class U32s {
  a = new Uint32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  toShared(len = this.n): SharedArrayBuffer {
    const sab = new SharedArrayBuffer(len * 4);
    new Uint32Array(sab).set(this.a.subarray(0, len));
    return sab;
  }
}

function locateMessage(model: Model<unknown, unknown>, state: unknown, action: unknown, e: unknown): string {
  let where = 'a state';
  try {
    where = action === undefined ? 'a state' : `the state after step '${model.formatAction(state, action)}'`;
  } catch {
    where = 'a successor state';
  }
  // The same one-line form as the sequential search's errors (src/explore/bfs.ts locate()).
  if (e instanceof ModelError) return e.message;
  if (e instanceof InvalidStateError) return new ModelError({ model: model.name }, `${where}: ${e.message}`).message;
  return new ModelError({ model: model.name }, `${where}: ${errorText(e)}`).message;
}

/** This thread's candidates of the level it last expanded, and where its last range ended. */
let levelCandidates: { levelId: string; to: number; set: SeenSet } | undefined;

/**
 * The set of fingerprints this thread already made candidates in the task's level. Ranges
 * come in order, so a successor already a candidate of an earlier range of this thread is
 * dropped: that earlier copy comes first in the merge order and would win anyway. A range
 * out of order (or a new level) starts an empty set.
 */
function candidatesOf(task: ExpandTask): SeenSet {
  const prev = levelCandidates;
  const set = prev !== undefined && prev.levelId === task.levelId && prev.to <= task.from ? prev.set : new SeenSet(1 << 12);
  levelCandidates = { levelId: task.levelId, to: task.to, set };
  return set;
}

async function expand(task: ExpandTask): Promise<ExpandResult> {
  const { model, codec, keyOf, select, invariants, transitions: transitionProps, deadlock } = await load(task.source);
  codec.learnDescriptors(task.descriptors);
  const skip = new Set(task.skip);
  const inv = invariants.filter((p) => !skip.has(p.name));
  const trans = transitionProps.filter((p) => !skip.has(p.name));
  const dl = deadlock !== undefined && !skip.has(deadlock.name) ? deadlock : undefined;
  const table = new SharedSeenSet(task.table);
  const control = new Int32Array(task.control);
  const local = candidatesOf(task);
  const fp = new Uint32Array(2);
  const sink = new ByteSink(1 << 16);
  const offsets = new U32s();
  const fps = new U32s();
  const parents = new U32s();
  const actionIdx = new U32s();
  const events: WorkerEvent[] = [];
  const firstEvent = new Set<string>();
  const actionCounts = new Uint32Array(task.to - task.from);
  let transitions = 0;
  let stopped = false;

  // Find the segment and candidate of position `from` (members are the flagged candidates).
  let seg = 0;
  let j = 0;
  let pos = 0;
  const segs = task.segments;
  const segFlags = segs.map((b) => new Uint8Array(b.flags));
  const segOffsets = segs.map((b) => new Uint32Array(b.offsets));
  const segBytes = segs.map((b) => new Uint8Array(b.bytes));
  const advance = () => {
    for (;;) {
      while (seg < segs.length && j >= segs[seg].count) {
        seg++;
        j = 0;
      }
      if (seg >= segs.length || segFlags[seg][j] === 1) return;
      j++;
    }
  };
  advance();
  while (pos < task.from) {
    j++;
    pos++;
    advance();
  }

  let state: unknown;
  let action: unknown;
  try {
    for (pos = task.from; pos < task.to; pos++) {
      if ((pos & 1023) === 0 && Atomics.load(control, CONTROL_STOP) !== 0) {
        stopped = true;
        break;
      }
      state = codec.decode(segBytes[seg], segOffsets[seg][j]);
      action = undefined;
      j++;
      advance();
      const parent = task.levelStart + pos;
      const acts = model.actions(state);
      // The same early determinism check as the sequential search, on the same states
      // (the first expanded in BFS order), whichever worker holds them.
      if (parent < DETERMINISM_SAMPLE) checkDeterminism(model, state, acts);
      actionCounts[pos - task.from] = acts.length;
      if (acts.length === 0) {
        if (dl !== undefined && !firstEvent.has(dl.name) && !dl.isEnd(state)) {
          firstEvent.add(dl.name);
          keyOf(state, fp);
          events.push({ property: dl.name, kind: 'deadlock', message: `no thread can move: ${dl.explain(state)}`, pos, action: -1, candidate: -1, hi: fp[0], lo: fp[1] });
        }
        continue;
      }
      if (!task.expand) continue;
      // POR: a persistent subset, kept only under the cycle proviso of the sequential search
      // (src/reduce/cycle-proviso.ts): no selected successor may be a state stored at this
      // depth or before — exactly the states in the table during this phase, since this
      // level's new states are inserted only in the merge phase.
      let chosen = select !== undefined ? select(state, acts) : null;
      let presampled: unknown[] | null = null;
      if (chosen !== null && chosen.length < acts.length) {
        presampled = [];
        for (let j = 0; j < chosen.length; j++) {
          action = acts[chosen[j]];
          const s2 = model.next(state, action);
          keyOf(s2, fp);
          if (table.has(fp[0], fp[1])) {
            chosen = null;
            presampled = null;
            break;
          }
          presampled.push(s2);
        }
      } else chosen = null;
      const expandCount = chosen === null ? acts.length : chosen.length;
      // Transitions taken from this position (the coordinator's figures when a violation
      // cuts the level short).
      actionCounts[pos - task.from] = expandCount;
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
        if (table.has(fp[0], fp[1])) continue;
        if (local.insert(fp[0], fp[1], 0, 0) < 0) continue;
        if (local.needsGrow) local.grow();
        if (keyOf !== fingerprintInto) validateState(s2);
        const c = fps.n >>> 1;
        fps.push(fp[0]);
        fps.push(fp[1]);
        parents.push(parent);
        actionIdx.push(i);
        offsets.push(codec.encode(s2, sink));
        for (let t = 0; t < inv.length; t++) {
          const msg = inv[t].check(s2);
          if (msg !== null) events.push({ property: inv[t].name, kind: 'invariant', message: msg, pos, action: i, candidate: c, hi: fp[0], lo: fp[1] });
        }
      }
    }
  } catch (e) {
    return {
      block: emptyBlock(),
      actionCounts,
      transitions,
      events: [],
      descriptors: codec.takeNewDescriptors(),
      stopped: false,
      error: { pos, action: -1, message: locateMessage(model, state, action, e), stack: (e as Error)?.stack },
    };
  }

  const count = parents.n;
  offsets.push(sink.length);
  const bytes = new SharedArrayBuffer(sink.length);
  new Uint8Array(bytes).set(sink.bytes.subarray(0, sink.length));
  const actionsSab = new SharedArrayBuffer(count * 2);
  const a16 = new Uint16Array(actionsSab);
  for (let k = 0; k < count; k++) {
    if (actionIdx.a[k] > 0xffff) throw new Error('more than 65535 enabled actions in one state');
    a16[k] = actionIdx.a[k];
  }
  return {
    block: {
      count,
      fps: fps.toShared(),
      parents: parents.toShared(),
      actions: actionsSab,
      offsets: offsets.toShared(),
      bytes,
      flags: new SharedArrayBuffer(count),
    },
    actionCounts,
    transitions,
    events,
    descriptors: codec.takeNewDescriptors(),
    stopped,
  };
}

function emptyBlock(): CandidateBlock {
  const z = new SharedArrayBuffer(0);
  return { count: 0, fps: z, parents: z, actions: z, offsets: new SharedArrayBuffer(4), bytes: z, flags: z };
}

function merge(task: MergeTask): MergeResult {
  const table = new SharedSeenSet(task.table);
  const inserted: number[] = [];
  for (const b of task.blocks) {
    const fps = new Uint32Array(b.fps);
    const flags = new Uint8Array(b.flags);
    let n = 0;
    for (let k = 0; k < b.count; k++) {
      const hi = fps[2 * k];
      if (partitionOf(hi, task.parts) !== task.part) continue;
      if (table.insert(hi, fps[2 * k + 1])) {
        flags[k] = 1;
        n++;
      }
    }
    inserted.push(n);
  }
  return { inserted };
}

/** The piscina task handler. */
export async function runTask(task: Task): Promise<ExpandResult | MergeResult | null> {
  if (task.kind === 'warm') {
    // A model that fails to load reports it on its first expand task, with the step.
    await load(task.source).catch(() => undefined);
    return null;
  }
  return task.kind === 'expand' ? expand(task) : merge(task);
}
