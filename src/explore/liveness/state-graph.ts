// The reachable state graph a liveness check reads, recorded during the level search: states
// by global index (BFS order, the trace store's numbering), each state's transitions in
// action order as (successor, process) in compressed rows, and each state's liveness labels.
//
// Successors arrive as seen-set keys (range-graph.ts); a key table maps them to indices. A
// state is added when it is stored (its key), and its row when it is expanded: the rows of a
// level are resolved once the next level's states are known, since every successor of a
// level is in it, in that next level, or before. States are expanded in index order, so rows
// are appended in order.
import { highWord, lowWord } from '../../search/shared-seen-set.ts';
import type { RangeGraph } from './range-graph.ts';

const MAX_LOAD = 0.7;

/**
 * The graph: rows, labels and keys by state index.
 *
 * FIXME: held in memory (about 50 bytes a state on the kernel models); it does not spill to
 * disk, so liveness on the largest searches needs --memory or --no-liveness.
 */
export class StateGraph {
  /** States added (stored). */
  size = 0;
  /** States whose rows are recorded (expanded). */
  expanded = 0;
  /** Per state: its key [high, low] as the seen set stores it. */
  keys = new Uint32Array(2048);
  /** Per state: its labels (`words` words). */
  labels: Uint32Array;
  /** Row starts: state s's transitions are edges [rowStart[s], rowStart[s + 1]). */
  rowStart = new Uint32Array(1025);
  /** Per edge: the successor's index, and the process taking it. */
  targets = new Int32Array(4096);
  procs = new Uint8Array(4096);
  edges = 0;
  /** Key → index + 1 (0 empty); dropped once the graph is complete. */
  private table: Int32Array | null = new Int32Array(4096);
  private shift = 32 - 12;

  constructor(readonly words: number) {
    this.labels = new Uint32Array(1024 * words);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.keys.byteLength + this.labels.byteLength + this.rowStart.byteLength + this.targets.byteLength + this.procs.byteLength + (this.table?.byteLength ?? 0);
  }

  /** Adds the next state (index `size`) by its seen-set key. */
  addState(hi: number, lo: number): void {
    const h = highWord(hi) >>> 0;
    const l = lowWord(lo) >>> 0;
    if (2 * this.size + 2 > this.keys.length) this.keys = grown(this.keys, this.keys.length * 2);
    if (this.size + 1 > this.table!.length * MAX_LOAD) this.rehash();
    const id = this.size++;
    this.keys[2 * id] = h;
    this.keys[2 * id + 1] = l;
    this.place(id);
  }

  /** The index of the state keyed (hi, lo), or -1. */
  indexOf(hi: number, lo: number): number {
    const t = this.table!;
    const h = highWord(hi) >>> 0;
    const l = lowWord(lo) >>> 0;
    const mask = t.length - 1;
    for (let i = this.home(h, l); ; i = (i + 1) & mask) {
      const v = t[i];
      if (v === 0) return -1;
      if (this.keys[2 * (v - 1)] === h && this.keys[2 * (v - 1) + 1] === l) return v - 1;
    }
  }

  /**
   * Appends the rows of the next states expanded (a range, in order); every successor must
   * have been added.
   */
  addExpanded(r: RangeGraph): void {
    if (r.words !== this.words) throw new Error(`internal error: liveness labels of ${r.words} words, expected ${this.words}`);
    const first = this.expanded;
    const n = first + r.states;
    if (n > this.size) throw new Error(`internal error: state ${n - 1} expanded before it was stored`);
    if (n + 1 > this.rowStart.length) this.rowStart = grown(this.rowStart, Math.max(n + 1, this.rowStart.length * 2));
    if (n * this.words > this.labels.length) this.labels = grown(this.labels, Math.max(n * this.words, this.labels.length * 2));
    this.labels.set(r.labels, first * this.words);
    const more = r.procs.length;
    if (this.edges + more > this.targets.length) {
      const cap = Math.max(this.edges + more, this.targets.length * 2);
      this.targets = grown(this.targets, cap);
      this.procs = grown(this.procs, cap);
    }
    let e = this.edges;
    let k = 0;
    for (let s = 0; s < r.states; s++) {
      this.rowStart[first + s] = e;
      for (let d = r.degrees[s]; d > 0; d--, k++) {
        const id = this.indexOf(r.keys[2 * k], r.keys[2 * k + 1]);
        if (id < 0) throw new Error(`internal error: a successor of state ${first + s} is not among the states stored`);
        this.targets[e] = id;
        this.procs[e++] = r.procs[k];
      }
    }
    this.rowStart[n] = e;
    this.edges = e;
    this.expanded = n;
  }

  /** Drops the key table once every state is expanded (rows, labels and keys stay). */
  complete(): void {
    this.table = null;
  }

  /** Whether liveness predicate `j` holds in state `s`. */
  label(s: number, j: number): boolean {
    return ((this.labels[s * this.words + (j >>> 5)] >>> (j & 31)) & 1) === 1;
  }

  /** The processes enabled in state `s` (one bit each), from its row. */
  enabled(s: number): number {
    let m = 0;
    for (let e = this.rowStart[s], end = this.rowStart[s + 1]; e < end; e++) m |= 1 << this.procs[e];
    return m;
  }

  /** True when state `s` has no transition (it repeats forever: stuttering). */
  terminal(s: number): boolean {
    return this.rowStart[s] === this.rowStart[s + 1];
  }

  private home(h: number, l: number): number {
    return Math.imul(h ^ Math.imul(l, 0x9e3779b1), 0x85ebca6b) >>> this.shift;
  }

  private place(id: number): void {
    const t = this.table!;
    const mask = t.length - 1;
    let i = this.home(this.keys[2 * id], this.keys[2 * id + 1]);
    while (t[i] !== 0) i = (i + 1) & mask;
    t[i] = id + 1;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table!.length * 2);
    this.shift--;
    for (let id = 0; id < this.size; id++) this.place(id);
  }
}

function grown<T extends Uint32Array | Int32Array | Uint8Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
