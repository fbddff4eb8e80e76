// Claims: how several threads expanding one level of the search insert successors
// straight into the seen set — one probe per successor, as the single-thread search does —
// and still record each new state's canonical parent, the first in the sequential order.
//
// While a level is expanded, a successor's key is inserted into its partition of the seen
// set with compare-and-exchange, with the level's mark set in its low word (inserted in this
// level: bit 1 for even levels, 2 for odd ones; shared-seen-set.ts). The thread that inserts
// a key also enters it in the claims map with its (position in the level, action) — before
// publishing the key, so whoever finds the key finds its claim. A thread that finds the key
// FRESH (new in this level, found first from another parent) lowers the claim to its own
// (position, action) if that is smaller, and keeps a copy of the state too. After the level
// the threads check every record kept (validatePhase): it is the state's record exactly when
// its (position, action) is the claim's final value, the minimum, which is the parent the
// sequential search records. A key found without the level's mark is old. The marks are
// cleared while the next level is expanded (which marks with the other bit), each claim
// knowing its key's slot; so even and odd levels alternate between two claims maps.
//
// The seen set cannot grow while threads insert: each partition is sized beforehand from an
// estimate of its share of the level's new states; when more turn up in any partition (its
// counter passes `limit`), the level is abandoned, the seen set rebuilt without the level's
// marked keys, and the level redone with room for twice as many.
import type { TableRef } from './protocol.ts';
import { partitionOf } from './protocol.ts';
import { MARKS, highWord, lowWord } from './shared-seen-set.ts';

/** A level's claims as they cross threads. */
export interface ClaimsRef {
  /** [key high, key low, (position << 8 | action), slot of the key in its partition] per entry; the entry count is a power of two. */
  readonly map: SharedArrayBuffer;
  /** Int32 per partition: new states inserted into it so far (counted in batches). */
  readonly counter: SharedArrayBuffer;
  /** New states in one partition past which the level is abandoned (the partition would overflow). */
  readonly limit: number;
}

const WORDS = 4;

/** Claims with room for `limit` new states in each of `parts` partitions (the map at most half full). */
export function newClaims(limit: number, parts: number): ClaimsRef {
  let slots = 1024;
  while (slots < 2 * limit * parts) slots *= 2;
  return { map: new SharedArrayBuffer(slots * WORDS * 4), counter: new SharedArrayBuffer(4 * parts), limit };
}

/** `c` ready for a level with room for `limit` per partition (its map emptied by the last validation), or null when it is too small. */
export function reuseClaims(c: ClaimsRef, limit: number, parts: number): ClaimsRef | null {
  if (c.map.byteLength < 2 * limit * parts * WORDS * 4 || c.counter.byteLength !== 4 * parts) return null;
  new Int32Array(c.counter).fill(0);
  return { ...c, limit };
}

const BATCH = 256;

/** What a thread's dedupe reports: an old key, a new state (this thread inserted it), a copy that holds the smallest claim so far, or one that does not. */
export const OLD = 0;
export const NEW = 1;
export const LOWER = 2;
export const HIGHER = 3;

/** One thread's view of a level's claims and the seen set's partitions. */
export class LevelClaimsView {
  private readonly map: Int32Array;
  private readonly mask: number;
  private readonly tables: Int32Array[];
  private readonly caps: number[];
  private readonly counter: Int32Array;
  /** New states this thread inserted, per partition. */
  readonly inserted: number[];
  /** `inserted` as last added to the counters. */
  private readonly flushed: number[];
  private pending = 0;
  /** Set when the level must be abandoned (a partition's counter passed the limit, or a claim did not fit). */
  overflow = false;
  /** A state had more than 256 actions (or the level more than 2^24 states): claims cannot order it. */
  wide = false;

  constructor(
    private readonly ref: ClaimsRef,
    tables: readonly TableRef[],
  ) {
    this.map = new Int32Array(ref.map);
    this.mask = this.map.length / WORDS - 1;
    this.tables = tables.map((t) => new Int32Array(t.buffer, 0, t.capacity * 2));
    this.caps = tables.map((t) => t.capacity);
    this.counter = new Int32Array(ref.counter);
    this.inserted = tables.map(() => 0);
    this.flushed = tables.map(() => 0);
  }

  /**
   * Inserts key (hi, lo) reached by (position, action) of the level. Returns OLD, NEW,
   * LOWER (this copy holds the smallest claim so far: keep it) or HIGHER (drop it).
   */
  claim(hi: number, lo: number, pos: number, action: number, mark: number): number {
    if (action > 0xff || pos > 0xffffff) {
      // (position, action) does not fit a claim: the level is redone without claims.
      this.wide = true;
      this.overflow = true;
      return HIGHER;
    }
    const h = highWord(hi);
    const l = lowWord(lo);
    const key = ((pos << 8) | action) >>> 0;
    const parts = this.tables.length;
    const p = parts === 1 ? 0 : partitionOf(h, parts);
    const w = this.tables[p];
    const cap = this.caps[p];
    let i = Math.floor(((l >>> 0) * cap) / 4294967296);
    for (;;) {
      const b = i << 1;
      let sh = w[b];
      if (sh === 0) {
        sh = Atomics.compareExchange(w, b, 0, h);
        if (sh === 0) {
          // This thread inserts the key: claim it, then publish the low word, marked.
          this.enter(h, l, key, i);
          Atomics.store(w, b + 1, l | mark);
          this.inserted[p]++;
          if (++this.pending === BATCH) this.flush();
          return NEW;
        }
      }
      if (sh === h) {
        // A plain read first: a key stored before this level (the usual case) is final, and
        // Atomics calls are not inlined (each is a builtin call). A key inserted in this
        // level is read again atomically, which makes its claim (written before the key was
        // published) visible to the plain reads of find().
        let sl = w[b + 1];
        if (sl === 0 || (sl & mark) !== 0) {
          sl = Atomics.load(w, b + 1);
          while (sl === 0) sl = Atomics.load(w, b + 1);
        }
        if ((sl & ~MARKS) === l) {
          if ((sl & mark) === 0) return OLD;
          return this.lower(h, l, key) ? LOWER : HIGHER;
        }
      }
      i = i + 1 === cap ? 0 : i + 1;
    }
  }

  /** Counts this thread's last insertions into the partitions' totals; flags overflow past the limit. */
  flush(): void {
    if (this.pending === 0) return;
    this.pending = 0;
    for (let p = 0; p < this.inserted.length; p++) {
      const d = this.inserted[p] - this.flushed[p];
      if (d === 0) continue;
      this.flushed[p] = this.inserted[p];
      if (Atomics.add(this.counter, p, d) + d > this.ref.limit) this.overflow = true;
    }
  }

  /** True when the level was abandoned by any thread (read after a range). */
  get abandoned(): boolean {
    if (this.overflow) return true;
    for (let p = 0; p < this.inserted.length; p++) if (Atomics.load(this.counter, p) > this.ref.limit) return true;
    return false;
  }

  private home(h: number, l: number): number {
    return (l ^ Math.imul(h, 0x9e3779b1)) & this.mask;
  }

  /**
   * Enters the claim of a key this thread is inserting. Plain stores after the slot is won:
   * the key's publication in the seen set (an atomic store, after this) makes them visible
   * to any thread that finds the key.
   */
  private enter(h: number, l: number, key: number, slot: number): void {
    const m = this.map;
    for (let i = this.home(h, l); ; i = (i + 1) & this.mask) {
      const b = i * WORDS;
      if (m[b] === 0 && Atomics.compareExchange(m, b, 0, h) === 0) {
        m[b + 2] = key | 0;
        m[b + 3] = slot;
        m[b + 1] = l;
        return;
      }
    }
  }

  /**
   * The entry of a key found published in the seen set (read atomically), or after the
   * level: its entry is complete and visible to plain reads. Entries of other keys may be
   * half-written: a low word not yet stored is waited for.
   */
  private find(h: number, l: number): number {
    const m = this.map;
    for (let i = this.home(h, l); ; i = (i + 1) & this.mask) {
      const b = i * WORDS;
      const sh = m[b] || Atomics.load(m, b);
      if (sh === 0) return -1;
      if (sh !== h) continue;
      let sl = m[b + 1];
      while (sl === 0) sl = Atomics.load(m, b + 1);
      if (sl === l) return b;
    }
  }

  /** Lowers the claim of (h, l) to `key` if smaller; true when it did. */
  private lower(h: number, l: number, key: number): boolean {
    const b = this.find(h, l);
    if (b < 0) throw new Error('a key inserted in this level has no claim');
    const m = this.map;
    let cur = m[b + 2];
    while (key < cur >>> 0) {
      const seen = Atomics.compareExchange(m, b + 2, cur, key | 0);
      if (seen === cur) return true;
      cur = seen;
    }
    return false;
  }

  /** The final claim of key (hi, lo): (position << 8 | action), unsigned; -1 if none. */
  claimOf(hi: number, lo: number): number {
    const b = this.find(highWord(hi), lowWord(lo));
    return b < 0 ? -1 : this.map[b + 2] >>> 0;
  }

  /**
   * Entries [start, end) of the map of a level already validated: clears mark `marks[p]`
   * of their keys in partition p (0: the partition was rebuilt since, without marks) and
   * empties them for the level after next.
   */
  retire(start: number, end: number, marks: readonly number[]): void {
    const m = this.map;
    const parts = this.tables.length;
    for (let i = start; i < end; i++) {
      const b = i * WORDS;
      const h = m[b];
      if (h === 0) continue;
      const p = parts === 1 ? 0 : partitionOf(h, parts);
      const mark = marks[p];
      if (mark !== 0) this.tables[p][(m[b + 3] << 1) + 1] &= ~mark;
      m[b] = 0;
      m[b + 1] = 0;
      m[b + 2] = 0;
      m[b + 3] = 0;
    }
  }

  /** Entries of the map. */
  get size(): number {
    return this.mask + 1;
  }
}
