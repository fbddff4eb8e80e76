// Candidate blocks (protocol.ts) built and read by the threads of a level: the builder a
// range's expansion appends to, the cursor that walks a level's members across the
// previous level's blocks, and the two ways a range decides which successors to keep.
import type { ByteSink } from '../state/codec.ts';
import { ALONE_GROWTH, ALONE_MAX_LOAD, ALONE_SLOTS, PartitionFullError, SharedSeenSet, highWord, lowWord, partitionOf, type GrowingSeenSet, type TableRef } from './shared-seen-set.ts';
import type { CandidateBlock, LevelRef } from './protocol.ts';
import { LOWER, NEW, type LevelClaimsView } from './level-claims.ts';

/** A growable Uint32 array (reused: `n = 0` empties it). */
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
}

/**
 * A thread's shared buffers for the blocks it makes: a block's buffer is reused once no
 * thread can read it — two expansions later (expansion k reads the blocks made by k-1).
 * Fresh memory is what this saves: on a VM a first touch of a page costs about 10 µs.
 */
export class BlockRecycler {
  private readonly made: { expansion: number; data: SharedArrayBuffer }[] = [];
  private readonly free: SharedArrayBuffer[] = [];

  /** A buffer of at least `bytes` for a block of expansion `expansion`. */
  take(bytes: number, expansion: number): SharedArrayBuffer {
    for (let i = 0; i < this.made.length; ) {
      if (this.made[i].expansion <= expansion - 2) {
        this.free.push(this.made[i].data);
        this.made[i] = this.made[this.made.length - 1];
        this.made.pop();
      } else i++;
    }
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i].byteLength;
      if (b >= bytes && b <= bytes * 2 && (best < 0 || b < this.free[best].byteLength)) best = i;
    }
    let data: SharedArrayBuffer;
    if (best >= 0) {
      data = this.free[best];
      this.free[best] = this.free[this.free.length - 1];
      this.free.pop();
    } else data = new SharedArrayBuffer(sizeClass(bytes));
    this.made.push({ expansion, data });
    return data;
  }
}

/** The smallest of 4096·2^k·{1, 1.25, 1.5, 1.75} at least `bytes` (at most 25% unused). */
function sizeClass(bytes: number): number {
  let p = 4096;
  while (p * 2 < bytes) p *= 2;
  for (const f of [1, 1.25, 1.5, 1.75, 2]) if (p * f >= bytes) return p * f;
  return p * 2;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Views of a block's arrays over `data` (layout: fps, parents, offsets, partition lists or
 * claim entries, actions, flags, bytes). A block of a level with claims has entries (one per
 * candidate) and no partition lists; any other has lists (`count` indices in all).
 */
export function blockViews(data: SharedArrayBuffer, count: number, byteCount: number, partSizes: readonly number[], claims = false): Omit<CandidateBlock, 'count' | 'winners' | 'data'> {
  let at = 0;
  const fps = new Uint32Array(data, at, count * 2);
  at += count * 8;
  const parents = new Uint32Array(data, at, count);
  at += count * 4;
  const offsets = new Uint32Array(data, at, count + 1);
  at += (count + 1) * 4;
  const parts: Uint32Array[] = [];
  let entries: Uint32Array = EMPTY;
  if (claims) {
    entries = new Uint32Array(data, at, count);
    at += count * 4;
  } else {
    for (const n of partSizes) {
      parts.push(new Uint32Array(data, at, n));
      at += n * 4;
    }
  }
  const actions = new Uint16Array(data, at, count);
  at = align4(at + count * 2);
  const flags = new Uint8Array(data, at, count);
  at += count;
  const bytes = new Uint8Array(data, at, byteCount);
  return { fps, parents, offsets, parts, entries, actions, flags, bytes };
}

const EMPTY = new Uint32Array(0);

/** Bytes a block of `count` candidates and `byteCount` bytes of states needs. */
export function blockSize(count: number, byteCount: number): number {
  // The partition lists hold `count` indices in all (or the entries one per candidate).
  return align4(count * 8 + count * 4 + (count + 1) * 4 + count * 4 + count * 2) + count + byteCount;
}

/** The candidates of one range, in generation order (a thread reuses one builder). */
export class BlockBuilder {
  readonly fps = new U32s();
  readonly parents = new U32s();
  readonly actions = new U32s();
  readonly offsets = new U32s();
  /** With claims: each candidate's claim entry, in place of the partition lists. */
  private readonly entries = new U32s();
  private claims = false;
  private byPart: U32s[] = [];

  /** Starts a range whose keys fall in `parts` seen-set partitions; with `claims`, a range of a level expanded with claims. */
  reset(parts: number, claims: boolean): void {
    this.fps.n = 0;
    this.parents.n = 0;
    this.actions.n = 0;
    this.offsets.n = 0;
    this.entries.n = 0;
    this.claims = claims;
    while (this.byPart.length < parts) this.byPart.push(new U32s());
    this.byPart.length = parts;
    for (const p of this.byPart) p.n = 0;
  }

  /** Candidates so far. */
  get count(): number {
    return this.parents.n;
  }

  /** Appends a candidate; `entry` is its claim entry in a level with claims (the dedupe's `entry`). */
  push(hi: number, lo: number, parent: number, action: number, offset: number, entry: number): void {
    const k = this.parents.n;
    this.fps.push(hi);
    this.fps.push(lo);
    this.parents.push(parent);
    this.actions.push(action);
    this.offsets.push(offset);
    if (this.claims) {
      this.entries.push(entry);
      return;
    }
    const parts = this.byPart;
    parts[parts.length === 1 ? 0 : partitionOf(hi, parts.length)].push(k);
  }

  /**
   * The block in shared memory (a buffer from `recycler`, or a new one); with `allNew` (a
   * range expanded alone) every candidate is flagged new.
   */
  finish(sink: ByteSink, allNew: boolean, recycler?: BlockRecycler, expansion = 0): CandidateBlock {
    const count = this.parents.n;
    const size = blockSize(count, sink.length);
    const data = recycler !== undefined ? recycler.take(size, expansion) : new SharedArrayBuffer(size);
    const v = blockViews(data, count, sink.length, this.claims ? [] : this.byPart.map((p) => p.n), this.claims);
    v.fps.set(this.fps.a.subarray(0, 2 * count));
    v.parents.set(this.parents.a.subarray(0, count));
    v.offsets.set(this.offsets.a.subarray(0, count));
    v.offsets[count] = sink.length;
    if (this.claims) v.entries.set(this.entries.a.subarray(0, count));
    else this.byPart.forEach((p, i) => v.parts[i].set(p.a.subarray(0, p.n)));
    for (let k = 0; k < count; k++) {
      if (this.actions.a[k] > 0xffff) throw new Error('more than 65535 enabled actions in one state');
    }
    v.actions.set(this.actions.a.subarray(0, count));
    v.flags.fill(allNew ? 1 : 0);
    v.bytes.set(sink.bytes.subarray(0, sink.length));
    return { count, winners: allNew ? count : 0, data, ...v };
  }
}

/** A block with no candidates. */
export function emptyBlock(): CandidateBlock {
  const data = new SharedArrayBuffer(4);
  return { count: 0, winners: 0, data, ...blockViews(data, 0, 0, []) };
}

/** Bytes a block holds (its arrays; the buffer may be up to a quarter larger). */
export function blockBytes(b: CandidateBlock): number {
  return b.fps.byteLength + b.parents.byteLength + b.actions.byteLength + b.offsets.byteLength + b.bytes.byteLength + b.flags.byteLength + 4 * b.count;
}

/** A set of 64-bit keys: a thread's candidates of one level (emptied, not reallocated, between levels). */
export class KeySet {
  private words = new Int32Array(2 * 4096);
  private mask = 4095;
  private count = 0;

  /** Empties the set, keeping its memory. */
  clear(): void {
    if (this.count > 0) this.words.fill(0);
    this.count = 0;
  }

  /** Adds (hi, lo); true when it was not there. */
  add(hi: number, lo: number): boolean {
    const h = hi | 0 || 1;
    const l = lo | 0;
    const w = this.words;
    let i = (l ^ Math.imul(h, 0x9e3779b1)) & this.mask;
    for (;;) {
      const sh = w[i << 1];
      if (sh === 0) break;
      if (sh === h && w[(i << 1) + 1] === l) return false;
      i = (i + 1) & this.mask;
    }
    w[i << 1] = h;
    w[(i << 1) + 1] = l;
    if (++this.count * 2 > this.mask) this.grow();
    return true;
  }

  private grow(): void {
    const old = this.words;
    this.mask = this.mask * 2 + 1;
    this.words = new Int32Array(2 * (this.mask + 1));
    this.count = 0;
    for (let b = 0; b < old.length; b += 2) if (old[b] !== 0) this.add(old[b], old[b + 1]);
  }
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
    this.flags = level.segments.map((b) => b.flags);
    this.offsets = level.segments.map((b) => b.offsets);
    this.bytes = level.segments.map((b) => b.bytes);
    this.fps = level.segments.map((b) => b.fps);
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
  /** Where the current member's bytes end. */
  get end(): number {
    return this.offsets[this.seg][this.j + 1];
  }
  get hi(): number {
    return this.fps[this.seg][2 * this.j];
  }
  get lo(): number {
    return this.fps[this.seg][2 * this.j + 1];
  }
}

/** Raised when the seen set would outgrow the search's memory budget (the search ends incomplete); the message says what would have been allocated. */
export class TableBudgetError extends Error {
  override name = 'TableBudgetError';
}

/**
 * Thrown by a level expanded alone at the transition that finds one new state more than
 * --max-states leaves room for: the range ends there, as the sequential order would, and no
 * model code runs past it.
 */
export class StateBoundReached extends Error {
  override name = 'StateBoundReached';
  constructor(
    readonly pos: number,
    readonly action: number,
  ) {
    super('max states reached');
  }
}

/** How a range decides which successors become candidates. */
export interface Dedupe {
  /** True when a successor with key (hi, lo), reached by (position in the level, action), is to be kept as a candidate. */
  admit(hi: number, lo: number, pos: number, action: number): boolean;
  /** Claims: the claim entry of the successor last admitted (for its candidate); -1 otherwise. */
  readonly entry: number;
  /** True when (hi, lo) was stored at an earlier level (partial-order reduction's cycle proviso). */
  storedBefore(hi: number, lo: number): boolean;
}

/** The seen set's partitions as the expanding threads read them (read-only during the phase). */
export class PartitionedTables {
  readonly tables: SharedSeenSet[];
  constructor(refs: readonly TableRef[]) {
    this.tables = refs.map((r) => new SharedSeenSet(r));
  }
  has(hi: number, lo: number): boolean {
    const t = this.tables;
    return (t.length === 1 ? t[0] : t[partitionOf(hi, t.length)]).has(hi, lo);
  }
}

/**
 * Ranges expanded by several threads, Immutable values: keep a successor not in the seen set
 * (read-only in this phase) and not already kept by this thread in this level — encoding a
 * state costs more than probing — and let the insert phase decide among the threads.
 */
export class SharedDedupe implements Dedupe {
  readonly entry = -1;
  constructor(
    private readonly tables: PartitionedTables,
    private readonly local: KeySet,
  ) {}
  admit(hi: number, lo: number): boolean {
    return !this.tables.has(hi, lo) && this.local.add(hi, lo);
  }
  storedBefore(hi: number, lo: number): boolean {
    return this.tables.has(hi, lo);
  }
}

/**
 * Ranges expanded by several threads, vectors: insert every successor into the seen set at
 * once and keep the copies that hold a state's smallest claim (level-claims.ts).
 */
export class ClaimDedupe implements Dedupe {
  constructor(readonly view: LevelClaimsView) {}
  admit(hi: number, lo: number, pos: number, action: number): boolean {
    const r = this.view.claim(hi, lo, pos, action);
    return r === NEW || r === LOWER;
  }
  get entry(): number {
    return this.view.entry;
  }
  storedBefore(): boolean {
    throw new Error('claims do not answer the cycle proviso (partial-order reduction runs on Immutable values)');
  }
}

/**
 * Ranges expanded by several threads, vectors: keep every successor — packing one costs less
 * than probing for it — so each successor is probed once, by its partition's thread, in the
 * insert phase.
 */
export class KeepAll implements Dedupe {
  readonly entry = -1;
  constructor(private readonly tables: PartitionedTables) {}
  admit(): boolean {
    return true;
  }
  storedBefore(hi: number, lo: number): boolean {
    return this.tables.has(hi, lo);
  }
}

/**
 * Bits of DirectDedupe's table of recent keys (4,096 keys, 32 KiB). On kvm 2/2/5 80% of the
 * successors already seen (4.3 M of 5.4 M) are among the last 4,096 keys met: states of a
 * level reached by the same steps in either order are expanded close together.
 */
const RECENT_BITS = 12;

/**
 * A level expanded by this thread alone, range by range in order: insert every successor
 * into its partition at once (the first occurrence in (position, action) order wins, as in
 * the insert phase), growing it when needed (a small partition faster: ALONE_MAX_LOAD). The
 * level's blocks then hold only new states.
 */
export class DirectDedupe implements Dedupe {
  readonly entry = -1;
  /**
   * The keys last admitted or refused, by a hash of the key (RECENT_BITS bits): each is in
   * the seen set already, so a successor found here is refused without probing it.
   */
  private readonly recent = new Int32Array(2 << RECENT_BITS);
  /**
   * @param room new states it may insert before the next new one throws StateBoundReached
   *   (--max-states; default: no bound)
   */
  constructor(
    private readonly parts: readonly GrowingSeenSet[],
    private readonly maxLoad: number,
    private readonly growth: number,
    private readonly maxBytes: number,
    private room = Infinity,
  ) {}
  admit(hi: number, lo: number, pos: number, action: number): boolean {
    const h = highWord(hi);
    const l = lowWord(lo);
    const r = ((l ^ Math.imul(h, 0x9e3779b1)) >>> (32 - RECENT_BITS)) << 1;
    const recent = this.recent;
    if (recent[r] === h && recent[r + 1] === l) return false;
    recent[r] = h;
    recent[r + 1] = l;
    const p = this.parts;
    const part = p.length === 1 ? p[0] : p[partitionOf(hi, p.length)];
    if (this.room <= 0) {
      if (part.table.has(hi, lo)) return false;
      throw new StateBoundReached(pos, action);
    }
    try {
      // Small, and far from the byte budget (--memory): a doubling there would overshoot it.
      const small = part.table.capacity < ALONE_SLOTS && part.table.capacity * 8 * ALONE_GROWTH * 4 <= this.maxBytes;
      const added = part.insertGrowing(hi, lo, small ? ALONE_MAX_LOAD : this.maxLoad, small ? ALONE_GROWTH : this.growth, this.maxBytes);
      if (added) this.room--;
      return added;
    } catch (e) {
      if (e instanceof PartitionFullError) throw new TableBudgetError(`a seen-set partition would grow to ${Math.round(e.bytes / 2 ** 20)} MiB, past its share of the room left`);
      throw e;
    }
  }
  storedBefore(): boolean {
    throw new Error('a level expanded alone cannot answer the cycle proviso (partial-order reduction uses the shared phases)');
  }
}
