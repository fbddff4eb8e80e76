// How each state of a level-synchronous search was reached: per BFS level, the parent's
// position in the previous level and the action index, so a counterexample is rebuilt by
// walking parents back to an initial state and replaying (as the sequential search does from
// its seen set). Four bytes per state — the parent's position in its level (24 bits) and the
// action index (8 bits) — for a level whose parents are all among the first 2^24 states of
// the previous level and whose action indices are below 256; six bytes (a 32-bit global
// parent index and a 16-bit action) for any other level. No empty slots.
import type { Model } from '../model/model.ts';
import { ModelError } from '../model/errors.ts';
import type { Trace } from '../explore/result.ts';
import { replay } from '../trace/reconstruct.ts';
import { fingerprintInto } from '../state/fingerprint.ts';
import type { CandidateBlock } from './protocol.ts';
import type { SpilledArray, TraceFile } from './trace-file.ts';

/** Parent index of an initial state (its action entry is the index among initStates()). */
export const ROOT = 0xffffffff;

const PACKED_PARENTS = 1 << 24;

interface Level {
  readonly start: number;
  /** Global index of the previous level's first state. */
  readonly prevStart: number;
  /** (parent position in the previous level) << 8 | action, or null for a wide level. */
  readonly packed: Uint32Array | null;
  readonly parents: Uint32Array | null;
  readonly actions: Uint16Array | null;
  /** With a trace file (--storage disk): where the level's arrays went (the arrays above are then null). */
  readonly spilled?: { readonly packed?: SpilledArray; readonly parents?: SpilledArray; readonly actions?: SpilledArray };
}

/** Parents and actions of every state, by global index (BFS order). */
export class TraceStore {
  private readonly levels: Level[] = [];
  private total = 0;

  /** @param file where the levels' arrays go instead of memory (--storage disk) */
  constructor(private readonly file?: TraceFile) {}

  /** Keeps a level: in memory, or appended to the trace file. */
  private push(level: Level): void {
    const f = this.file;
    if (f === undefined) {
      this.levels.push(level);
      return;
    }
    const spilled = level.packed !== null ? { packed: f.append(level.packed) } : { parents: f.append(level.parents!), actions: f.append(level.actions!) };
    this.levels.push({ start: level.start, prevStart: level.prevStart, packed: null, parents: null, actions: null, spilled });
  }

  /** Every level's arrays, as a checkpoint keeps them (read back from the trace file where they went there). */
  levelArrays(): { start: number; prevStart: number; packed?: Uint32Array; parents?: Uint32Array; actions?: Uint16Array }[] {
    return this.levels.map((l) => {
      const sp = l.spilled;
      if (sp === undefined) return l.packed !== null ? { start: l.start, prevStart: l.prevStart, packed: l.packed } : { start: l.start, prevStart: l.prevStart, parents: l.parents!, actions: l.actions! };
      const f = this.file!;
      return sp.packed !== undefined ? { start: l.start, prevStart: l.prevStart, packed: f.readU32(sp.packed) } : { start: l.start, prevStart: l.prevStart, parents: f.readU32(sp.parents!), actions: f.readU16(sp.actions!) };
    });
  }

  /** Appends a level a checkpoint kept (levelArrays), after the ones before it. */
  restoreLevel(l: { start: number; prevStart: number; packed?: Uint32Array; parents?: Uint32Array; actions?: Uint16Array }): void {
    if (l.start !== this.total) throw new Error(`internal error: a checkpoint's trace level starts at ${l.start}, not ${this.total}`);
    this.push({ start: l.start, prevStart: l.prevStart, packed: l.packed ?? null, parents: l.parents ?? null, actions: l.actions ?? null });
    this.total += (l.packed ?? l.parents!).length;
  }

  /** Number of states recorded. */
  get size(): number {
    return this.total;
  }

  /** Bytes held. */
  get bytes(): number {
    let b = 0;
    for (const l of this.levels) b += l.spilled !== undefined ? 0 : l.packed !== null ? l.packed.byteLength : l.parents!.byteLength + l.actions!.byteLength;
    return b;
  }

  /** Appends a level's states given by global parent index and action (their global indices continue from `size`). */
  addLevel(parents: Uint32Array, actions: Uint16Array): void {
    this.push({ start: this.total, prevStart: 0, packed: null, parents, actions });
    this.total += parents.length;
  }

  /**
   * Appends the winners of `blocks` (a level of `n` new states whose parents form the level
   * starting at global index `prevStart`), block by block: the canonical order.
   */
  addLevelFromBlocks(blocks: readonly CandidateBlock[], n: number, prevStart: number): void {
    const packed = new Uint32Array(n);
    let i = 0;
    for (const b of blocks) {
      const flags = b.flags;
      const par = b.parents;
      const act = b.actions;
      const all = b.winners === b.count;
      for (let k = 0; k < b.count; k++) {
        if (!all && flags[k] !== 1) continue;
        const rel = par[k] - prevStart;
        const a = act[k];
        if (rel >= PACKED_PARENTS || a > 0xff) return this.addWide(blocks, n);
        packed[i++] = (rel << 8) | a;
      }
    }
    this.push({ start: this.total, prevStart, packed, parents: null, actions: null });
    this.total += n;
  }

  private addWide(blocks: readonly CandidateBlock[], n: number): void {
    const parents = new Uint32Array(n);
    const actions = new Uint16Array(n);
    let i = 0;
    for (const b of blocks) {
      const flags = b.flags;
      const par = b.parents;
      const act = b.actions;
      for (let k = 0; k < b.count; k++) {
        if (flags[k] !== 1) continue;
        parents[i] = par[k];
        actions[i] = act[k];
        i++;
      }
    }
    this.addLevel(parents, actions);
  }

  private levelOf(index: number): Level {
    let lo = 0;
    let hi = this.levels.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.levels[mid].start <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.levels[lo];
  }

  parentOf(index: number): number {
    const l = this.levelOf(index);
    const sp = l.spilled;
    if (sp !== undefined) return sp.packed !== undefined ? l.prevStart + (this.file!.u32(sp.packed, index - l.start) >>> 8) : this.file!.u32(sp.parents!, index - l.start);
    if (l.packed !== null) return l.prevStart + (l.packed[index - l.start] >>> 8);
    return l.parents![index - l.start];
  }

  actionOf(index: number): number {
    const l = this.levelOf(index);
    const sp = l.spilled;
    if (sp !== undefined) return sp.packed !== undefined ? this.file!.u32(sp.packed, index - l.start) & 0xff : this.file!.u16(sp.actions!, index - l.start);
    if (l.packed !== null) return l.packed[index - l.start] & 0xff;
    return l.actions![index - l.start];
  }

  /** The action indices from an initial state to `index`. */
  pathTo(index: number): { initIndex: number; actions: number[] } {
    const actions: number[] = [];
    let s = index;
    while (this.parentOf(s) !== ROOT) {
      actions.push(this.actionOf(s));
      s = this.parentOf(s);
    }
    actions.reverse();
    return { initIndex: this.actionOf(s), actions };
  }

  /**
   * The trace to state `index` (plus `extraAction` when a transition property failed on
   * the way out of it). When `last` is given, the replayed state at `index` must have that
   * key (`key`: the fingerprint, or with symmetry the representative's), else the model is
   * not deterministic.
   */
  traceTo<S, A>(
    model: Model<S, A>,
    index: number,
    extraAction?: number,
    last?: { hi: number; lo: number },
    key: (state: S, out: Uint32Array) => void = fingerprintInto,
  ): Trace {
    const path = this.pathTo(index);
    const n = path.actions.length;
    const actions = extraAction === undefined ? path.actions : [...path.actions, extraAction];
    try {
      return replay(model, path.initIndex, actions, (i, out) => {
        if (last === undefined || i !== n) return false;
        out[0] = last.hi;
        out[1] = last.lo;
        return true;
      }, key);
    } catch (e) {
      if (e instanceof ModelError) throw e;
      throw new ModelError({ model: model.name }, `replaying a counterexample failed: ${(e as Error).message}`, { cause: e });
    }
  }
}
