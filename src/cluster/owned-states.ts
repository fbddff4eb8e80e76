// What one node of a cluster search owns: the states whose key falls in its partition
// (shared-seen-set.ts partitionOf over the node count). Their seen set; how each was reached
// (the parent's node and index there, and the action: the trace entries a counterexample is
// rebuilt from); the candidates of the level under way, the one with the smallest (parent's
// position, action) kept for each new key, as a breadth-first search on one thread keeps the
// first it meets; and this node's part of the next level, in that order.
import { GROWTH, GrowingSeenSet, MAX_LOAD, highWord, lowWord } from '../search/shared-seen-set.ts';
import { KeyTable } from './key-table.ts';

/** The parent node recorded for an initial state (its action entry is its index among initStates()). */
export const ROOT_NODE = 0xff;

/** A column of numbers that grows. */
class Column<T extends Uint8Array | Uint16Array | Uint32Array> {
  length = 0;
  constructor(public data: T) {}

  push(x: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = x;
  }

  grow(n: number): void {
    const d = new (this.data.constructor as new (n: number) => T)(Math.max(n, this.data.length * 2, 1024));
    d.set(this.data.subarray(0, this.length));
    this.data = d;
  }

  get bytes(): number {
    return this.data.byteLength;
  }
}

/** This node's part of a level: its states in the level's order, with their keys and packed forms. */
export interface OwnedLevel {
  readonly count: number;
  /** Index (on this node) of the first; the others follow. */
  readonly firstLocal: number;
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  /** count + 1 offsets into `bytes`. */
  readonly offsets: Uint32Array;
  readonly bytes: Uint8Array;
  /** (parent's position in its level) × 65536 + action: the order of the level. */
  readonly order: Float64Array;
  /** Each state's position in the whole level (all nodes), once the coordinator has merged the owners' orders. */
  positions: Uint32Array;
}

/** The states one node owns. */
export class OwnedStates {
  private readonly seen = new GrowingSeenSet(1024);
  private readonly parentNode = new Column(new Uint8Array(1024));
  private readonly parentLocal = new Column(new Uint32Array(1024));
  private readonly action = new Column(new Uint16Array(1024));
  // The candidates of the level under way.
  private readonly candidates = new KeyTable();
  private readonly cHi = new Column(new Uint32Array(1024));
  private readonly cLo = new Column(new Uint32Array(1024));
  private readonly cPos = new Column(new Uint32Array(1024));
  private readonly cNode = new Column(new Uint8Array(1024));
  private readonly cLocal = new Column(new Uint32Array(1024));
  private readonly cAction = new Column(new Uint16Array(1024));
  private readonly cFrom = new Column(new Uint32Array(1024));
  private readonly cLen = new Column(new Uint16Array(1024));
  private cBytes = new Uint8Array(1 << 16);
  private cByteLength = 0;

  /** States owned (every level). */
  get total(): number {
    return this.action.length;
  }

  /** Bytes held: seen set, trace entries, candidates. */
  get bytes(): number {
    const cols = [this.parentNode, this.parentLocal, this.action, this.cHi, this.cLo, this.cPos, this.cNode, this.cLocal, this.cAction, this.cFrom, this.cLen];
    return this.seen.bytes + this.candidates.bytes + this.cBytes.byteLength + cols.reduce((b, c) => b + c.bytes, 0);
  }

  /**
   * A successor sent to this node: a new state of the level unless its key is stored, and
   * then kept if no candidate with the same key came from a smaller (parent position, action).
   */
  offer(hi: number, lo: number, pos: number, node: number, local: number, action: number, bytes: Uint8Array, from: number, to: number): void {
    const h = highWord(hi);
    const l = lowWord(lo);
    const c = this.candidates.get(h, l);
    if (c >= 0) {
      const p = this.cPos.data[c];
      if (pos > p || (pos === p && action >= this.cAction.data[c])) return;
      // A smaller (position, action): its parent and its copy of the state (with symmetry, the
      // representative's successor may differ) are the ones kept.
      this.cPos.data[c] = pos;
      this.cNode.data[c] = node;
      this.cLocal.data[c] = local;
      this.cAction.data[c] = action;
      this.cFrom.data[c] = this.appendBytes(bytes, from, to);
      this.cLen.data[c] = to - from;
      return;
    }
    if (!this.seen.insertGrowing(h, l, MAX_LOAD, GROWTH)) return;
    this.candidates.set(h, l, this.cHi.length);
    this.cHi.push(hi);
    this.cLo.push(lo);
    this.cPos.push(pos);
    this.cNode.push(node);
    this.cLocal.push(local);
    this.cAction.push(action);
    this.cFrom.push(this.appendBytes(bytes, from, to));
    this.cLen.push(to - from);
  }

  private appendBytes(bytes: Uint8Array, from: number, to: number): number {
    const n = to - from;
    if (this.cByteLength + n > this.cBytes.length) {
      const b = new Uint8Array(Math.max(this.cBytes.length * 2, this.cByteLength + n));
      b.set(this.cBytes.subarray(0, this.cByteLength));
      this.cBytes = b;
    }
    this.cBytes.set(bytes.subarray(from, to), this.cByteLength);
    const at = this.cByteLength;
    this.cByteLength += n;
    return at;
  }

  /**
   * Ends the level: its new states (the candidates), in (parent position, action) order,
   * recorded in the trace entries and returned as this node's part of the next level.
   */
  settle(): OwnedLevel {
    const n = this.cHi.length;
    const order = new Float64Array(n);
    for (let c = 0; c < n; c++) order[c] = this.cPos.data[c] * 65536 + this.cAction.data[c];
    const idx = new Uint32Array(n);
    for (let c = 0; c < n; c++) idx[c] = c;
    idx.sort((a, b) => order[a] - order[b]);
    const hi = new Uint32Array(n);
    const lo = new Uint32Array(n);
    const offsets = new Uint32Array(n + 1);
    let size = 0;
    for (let j = 0; j < n; j++) size += this.cLen.data[idx[j]];
    const bytes = new Uint8Array(size);
    const sorted = new Float64Array(n);
    const firstLocal = this.total;
    let at = 0;
    for (let j = 0; j < n; j++) {
      const c = idx[j];
      hi[j] = this.cHi.data[c];
      lo[j] = this.cLo.data[c];
      sorted[j] = order[c];
      offsets[j] = at;
      const from = this.cFrom.data[c];
      bytes.set(this.cBytes.subarray(from, from + this.cLen.data[c]), at);
      at += this.cLen.data[c];
      this.parentNode.push(this.cNode.data[c]);
      this.parentLocal.push(this.cLocal.data[c]);
      this.action.push(this.cAction.data[c]);
    }
    offsets[n] = at;
    this.clearCandidates();
    return { count: n, firstLocal, hi, lo, offsets, bytes, order: sorted, positions: new Uint32Array(0) };
  }

  private clearCandidates(): void {
    this.candidates.clear();
    for (const c of [this.cHi, this.cLo, this.cPos, this.cNode, this.cLocal, this.cAction, this.cFrom, this.cLen]) c.length = 0;
    this.cByteLength = 0;
  }

  /** How state `local` (an index on this node) was reached. */
  entry(local: number): { parentNode: number; parentLocal: number; action: number } {
    if (local < 0 || local >= this.total) throw new Error(`no state ${local} on this node (it owns ${this.total})`);
    return { parentNode: this.parentNode.data[local], parentLocal: this.parentLocal.data[local], action: this.action.data[local] };
  }
}
