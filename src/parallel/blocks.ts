// Candidate blocks (protocol.ts) built and read by the threads of a level: the builder a
// range's expansion appends to, the cursor that walks a level's members across the
// previous level's blocks, and the two ways a range decides which successors to keep.
import type { ByteSink } from '../state/codec.ts';
import { SeenSet } from '../explore/seen-set.ts';
import type { SharedSeenSet } from './shared-seen-set.ts';
import type { CandidateBlock, LevelRef } from './protocol.ts';

/** A growable Uint32 array. */
export class U32s {
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

/** The candidates of one range, in generation order. */
export class BlockBuilder {
  readonly fps = new U32s();
  readonly parents = new U32s();
  readonly actions = new U32s();
  readonly offsets = new U32s();

  /** Candidates so far. */
  get count(): number {
    return this.parents.n;
  }

  push(hi: number, lo: number, parent: number, action: number, offset: number): void {
    this.fps.push(hi);
    this.fps.push(lo);
    this.parents.push(parent);
    this.actions.push(action);
    this.offsets.push(offset);
  }

  /** The block in shared memory; with `allNew` (a range expanded alone) every candidate is flagged new. */
  finish(sink: ByteSink, allNew: boolean): CandidateBlock {
    const count = this.parents.n;
    this.offsets.push(sink.length);
    const bytes = new SharedArrayBuffer(sink.length);
    new Uint8Array(bytes).set(sink.bytes.subarray(0, sink.length));
    const actions = new SharedArrayBuffer(count * 2);
    const a16 = new Uint16Array(actions);
    for (let k = 0; k < count; k++) {
      if (this.actions.a[k] > 0xffff) throw new Error('more than 65535 enabled actions in one state');
      a16[k] = this.actions.a[k];
    }
    const flags = new SharedArrayBuffer(count);
    if (allNew) new Uint8Array(flags).fill(1);
    return {
      count,
      fps: this.fps.toShared(),
      parents: this.parents.toShared(),
      actions,
      offsets: this.offsets.toShared(),
      bytes,
      flags,
      winners: allNew ? count : 0,
    };
  }
}

/** A block with no candidates. */
export function emptyBlock(): CandidateBlock {
  const z = new SharedArrayBuffer(0);
  return { count: 0, fps: z, parents: z, actions: z, offsets: new SharedArrayBuffer(4), bytes: z, flags: z, winners: 0 };
}

/** Bytes a block holds. */
export function blockBytes(b: CandidateBlock): number {
  return b.fps.byteLength + b.parents.byteLength + b.actions.byteLength + b.offsets.byteLength + b.bytes.byteLength + b.flags.byteLength;
}

/** Walks the members of a level (the flagged candidates of the previous level's blocks) by position. */
export class LevelCursor {
  private readonly flags: Uint8Array[];
  private readonly offsets: Uint32Array[];
  readonly bytes: Uint8Array[];
  private readonly fps: Uint32Array[];
  private seg = 0;
  private j = 0;
  /** Position of the member the cursor is at. */
  pos = 0;

  constructor(private readonly level: LevelRef) {
    this.flags = level.segments.map((b) => new Uint8Array(b.flags));
    this.offsets = level.segments.map((b) => new Uint32Array(b.offsets));
    this.bytes = level.segments.map((b) => new Uint8Array(b.bytes));
    this.fps = level.segments.map((b) => new Uint32Array(b.fps));
  }

  /** Moves to the member at position `pos`. */
  seek(pos: number): void {
    const { segments, before } = this.level;
    let s = 0;
    while (s + 1 < segments.length && before[s + 1] <= pos) s++;
    this.seg = s;
    this.pos = before[s];
    this.j = 0;
    this.skipLosers();
    while (this.pos < pos) this.advance();
  }

  private skipLosers(): void {
    const segs = this.level.segments;
    for (;;) {
      while (this.seg < segs.length && this.j >= segs[this.seg].count) {
        this.seg++;
        this.j = 0;
      }
      if (this.seg >= segs.length) return;
      const b = segs[this.seg];
      if (b.winners === b.count || this.flags[this.seg][this.j] === 1) return;
      this.j++;
    }
  }

  /** Moves to the next member. */
  advance(): void {
    this.j++;
    this.pos++;
    this.skipLosers();
  }

  /** The current member's segment and candidate index. */
  get segment(): number {
    return this.seg;
  }
  get offset(): number {
    return this.offsets[this.seg][this.j];
  }
  get hi(): number {
    return this.fps[this.seg][2 * this.j];
  }
  get lo(): number {
    return this.fps[this.seg][2 * this.j + 1];
  }
}

/** Raised when the seen set would outgrow the search's memory budget (the search ends incomplete). */
export class TableBudgetError extends Error {
  override name = 'TableBudgetError';
}

/** How a range decides which successors become candidates. */
export interface Dedupe {
  /** True when a successor with key (hi, lo) is to be kept as a candidate. */
  admit(hi: number, lo: number): boolean;
  /** True when (hi, lo) was stored at an earlier level (partial-order reduction's cycle proviso). */
  storedBefore(hi: number, lo: number): boolean;
}

/**
 * Ranges expanded by several threads: keep a successor not in the seen set (read-only in
 * this phase) and not already kept by this thread in this level; the merge phase decides.
 */
export class SharedDedupe implements Dedupe {
  constructor(
    private readonly table: SharedSeenSet,
    private readonly local: SeenSet,
  ) {}
  admit(hi: number, lo: number): boolean {
    if (this.table.has(hi, lo)) return false;
    if (this.local.insert(hi, lo, 0, 0) < 0) return false;
    if (this.local.needsGrow) this.local.grow();
    return true;
  }
  storedBefore(hi: number, lo: number): boolean {
    return this.table.has(hi, lo);
  }
}

/** The seen set of a search and how many states it holds (the table object is replaced when it grows). */
export interface TableHolder {
  table: SharedSeenSet;
  count: number;
  /** A table of at least `capacity` slots holding the same keys. */
  grow(capacity: number): void;
}

/**
 * A level expanded by this thread alone, range by range in order: insert every successor
 * into the seen set at once (the first occurrence in (position, action) order wins, as in
 * the merge), growing it when needed. The level's blocks then hold only new states.
 */
export class DirectDedupe implements Dedupe {
  constructor(
    private readonly holder: TableHolder,
    private readonly maxLoad: number,
    private readonly growth: number,
  ) {}
  admit(hi: number, lo: number): boolean {
    const h = this.holder;
    if (h.count + 1 > h.table.capacity * this.maxLoad) h.grow(Math.ceil(h.table.capacity * this.growth));
    if (!h.table.insertUnshared(hi, lo)) return false;
    h.count++;
    return true;
  }
  storedBefore(): boolean {
    throw new Error('a level expanded alone cannot answer the cycle proviso (partial-order reduction uses the shared phases)');
  }
}

/** A fresh per-thread candidate set for a level. */
export function candidateSet(): SeenSet {
  return new SeenSet(1 << 12);
}
