// The parallel search's seen set: a lock-free open-addressing table of fingerprints in a
// SharedArrayBuffer, which threads map and insert into with Atomics.compareExchange.
//
// A slot is two 32-bit words [high, low]. Bits 0 and 1 of the low word are not part of the
// key, so a key is 62 bits. Bit 0 (CLAIMED) is set only while a level is expanded with claims
// (level-claims.ts): a slot inserted in that level then holds, in place of the key's low
// word, the index of the level's claim entry that holds it; the level's validation puts the
// low word back. Outside such a level every stored low word has both bits clear. Neither half
// of a stored key is 0 (a 0 high half is stored as 1, a 0 low half as 4), so a slot whose high
// word is 0 is empty and a slot whose high word is set but low word still 0 is being
// written. Insertion claims the high word with a compare-and-exchange, then publishes the
// low word; a reader meeting a claimed slot waits for the low word (a few instructions).
// Parents and actions are not kept here but in dense per-level arrays (trace-store.ts), so a
// slot is 8 bytes.
//
// The table never grows while threads insert into it: it is grown between the phases of a
// level. Any capacity works (not only powers of two): a key's home
// slot is `lo * capacity / 2^32`, so the table can grow by 1.25× and run at a high load,
// keeping bytes per state low.

/** A seen set in shared memory: the first `capacity` slots of `buffer`. */
export interface TableRef {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
}

/** A seen-set partition that grows in place (shared-seen-set.ts GrowingSeenSet), as it crosses threads. */
export interface GrowableRef {
  readonly region: SharedArrayBuffer;
  readonly scratch: SharedArrayBuffer | null;
  readonly capacity: number;
  /** Keys it holds. */
  readonly count: number;
}

/**
 * Seen-set partition of a key with high half `hi`. A high half of 0 counts as 1, as the
 * table stores it (shared-seen-set.ts `highWord`), so a probe from the raw key and one from
 * a stored word pick the same partition. By multiplication, not `%`: a division by a
 * number not known when compiling costs tens of cycles, once per successor.
 */
export function partitionOf(hi: number, parts: number): number {
  return Math.floor((((hi | 0 || 1) >>> 0) * parts) / 4294967296);
}

/** The high word a table stores for high half `hi`. */
export function highWord(hi: number): number {
  return hi | 0 || 1;
}

/** The low word a table stores for low half `lo` (bits 0 and 1 clear). */
export function lowWord(lo: number): number {
  return lo & ~MARKS || 4;
}

/** The bits of a stored low word that are not part of the key. */
export const MARKS = 3;

/** The bit of a slot's low word set while it holds a claim entry's index (level-claims.ts). */
export const CLAIMED = 1;

/** The error of a plain probe that meets a slot holding a claim entry (only the claims' view can read one). */
function claimedSlot(): Error {
  return new Error('internal error: a seen-set slot still holds a claim entry outside its level (level-claims.ts)');
}

/** Bits of the key: the collision bound is computed over this many. */
export const KEY_BITS = 62;

/** A fingerprint table shared between threads. */
export class SharedSeenSet {
  readonly words: Int32Array;
  readonly capacity: number;

  /** Maps a table made elsewhere (another thread) or makes a new one of `capacity` slots. */
  constructor(refOrCapacity: TableRef | number) {
    const ref = typeof refOrCapacity === 'number' ? { buffer: new SharedArrayBuffer(refOrCapacity * 8), capacity: refOrCapacity } : refOrCapacity;
    this.words = new Int32Array(ref.buffer, 0, ref.capacity * 2);
    this.capacity = ref.capacity;
  }

  /** How another thread maps this table. */
  get ref(): TableRef {
    return { buffer: this.words.buffer as SharedArrayBuffer, capacity: this.capacity };
  }

  /** Home slot of a key whose stored low word is `l`. */
  home(l: number): number {
    return Math.floor(((l >>> 0) * this.capacity) / 4294967296);
  }

  get bytes(): number {
    return this.words.byteLength;
  }

  /** True when the fingerprint is stored. Safe while other threads insert. */
  has(hi: number, lo: number): boolean {
    const w = this.words;
    const h = highWord(hi);
    const l = lowWord(lo);
    let i = this.home(l);
    for (;;) {
      const b = i << 1;
      let sh = w[b];
      if (sh === 0) {
        sh = Atomics.load(w, b);
        if (sh === 0) return false;
      }
      if (sh === h) {
        let sl = w[b + 1];
        while (sl === 0) sl = Atomics.load(w, b + 1);
        if (sl === l) return true;
        if ((sl & CLAIMED) !== 0) throw claimedSlot();
      }
      i = i + 1 === this.capacity ? 0 : i + 1;
    }
  }

  /**
   * Inserts a fingerprint; true when this call stored it, false when it was there already
   * (whoever stored it). Lock-free; the caller keeps the load below 1.
   */
  insert(hi: number, lo: number): boolean {
    const w = this.words;
    const h = highWord(hi);
    const l = lowWord(lo);
    let i = this.home(l);
    for (;;) {
      const b = i << 1;
      let sh = Atomics.load(w, b);
      if (sh === 0) {
        sh = Atomics.compareExchange(w, b, 0, h);
        if (sh === 0) {
          Atomics.store(w, b + 1, l);
          return true;
        }
      }
      if (sh === h) {
        let sl = Atomics.load(w, b + 1);
        while (sl === 0) sl = Atomics.load(w, b + 1);
        if (sl === l) return false;
        if ((sl & CLAIMED) !== 0) throw claimedSlot();
      }
      i = i + 1 === this.capacity ? 0 : i + 1;
    }
  }

  /**
   * `insert` for a table only this thread uses at the moment (a level expanded by one
   * thread): plain loads and stores, no atomics.
   */
  insertUnshared(hi: number, lo: number): boolean {
    const w = this.words;
    const h = highWord(hi);
    const l = lowWord(lo);
    const cap = this.capacity;
    let i = this.home(l);
    for (;;) {
      const b = i << 1;
      const sh = w[b];
      if (sh === 0) {
        w[b] = h;
        w[b + 1] = l;
        return true;
      }
      if (sh === h) {
        const sl = w[b + 1];
        if (sl === l) return false;
        if ((sl & CLAIMED) !== 0) throw claimedSlot();
      }
      i = i + 1 === cap ? 0 : i + 1;
    }
  }

  /** A table of `capacity` slots holding every fingerprint of this one (single-threaded: no worker may use either). */
  rehash(capacity: number): SharedSeenSet {
    const t = new SharedSeenSet(capacity);
    t.copyFrom(this, 0, this.capacity, false);
    return t;
  }

  /**
   * Inserts the fingerprints in slots [start, end) of `from` (a smaller table being
   * replaced). With `shared`, other threads copy other slot ranges into this table at the
   * same time (atomic inserts).
   */
  copyFrom(from: SharedSeenSet, start: number, end: number, shared: boolean): void {
    const src = from.words;
    if (shared) {
      for (let b = start << 1; b < end << 1; b += 2) {
        const h = src[b];
        if (h !== 0) this.insert(h, src[b + 1]);
      }
      return;
    }
    // Alone: plain stores, and no equality test (the keys of a table are distinct). Slots
    // are visited in order, so homes — and stores — move forward almost monotonically. A
    // table is copied only between levels, when no slot holds a claim entry.
    const dst = this.words;
    const cap = this.capacity;
    for (let b = start << 1; b < end << 1; b += 2) {
      const h = src[b];
      if (h === 0) continue;
      const l = src[b + 1];
      let i = Math.floor(((l >>> 0) * cap) / 4294967296);
      while (dst[i << 1] !== 0) if (++i === cap) i = 0;
      dst[i << 1] = h;
      dst[(i << 1) + 1] = l;
    }
  }
}

/** Highest load of a seen-set partition; it then grows by GROWTH (load stays in [0.68, 0.85]: under 12 bytes of table per state). */
export const MAX_LOAD = 0.85;
export const GROWTH = 1.25;

/**
 * Highest load and growth of a small partition one thread fills as it expands (a level
 * expanded alone, DirectDedupe: every run with one worker), below ALONE_SLOTS slots. Each
 * insertion there waits on its probe, so the load costs time — at 0.85 an absent key's
 * linear probe runs ~20 slots, at 0.7 ~6 — and growing by 1.25 copies every key about four
 * times over a run, by 2 once. On kvm 2/2/5 with 1 worker the search took 0.83-0.87x the
 * time (3 alternating runs each), for 16.7 bytes of seen set per state instead of 13.6.
 * Past ALONE_SLOTS (32 MiB of table) a partition grows as the others do (MAX_LOAD, GROWTH),
 * so the memory this costs is bounded and large searches keep their bytes per state; and so
 * does one whose doubled table would take more than a quarter of the room --memory leaves.
 */
export const ALONE_MAX_LOAD = 0.7;
export const ALONE_GROWTH = 2;
export const ALONE_SLOTS = 1 << 22;

/** Bytes of address space reserved for a seen-set partition at first (pages cost nothing until touched). */
const FIRST_REGION = 64 * 2 ** 20;

/**
 * A seen-set partition that grows in place. Growing copies the keys aside and rehashes them
 * into a longer prefix of the same reserved buffer, so the pages the table already touched
 * are reused: on machines where a page fault is slow (a VM: about 10 µs per 4 KiB page
 * here), fresh memory, not rehashing, is what growth costs. The region is replaced (by one
 * four times larger) only when the table outgrows it. Any thread can hold and grow a
 * partition (`ref` / `fromRef` carry it across), one at a time.
 */
export class GrowingSeenSet {
  table: SharedSeenSet;
  /** Keys held. */
  count: number;

  constructor(
    capacity: number,
    private region: SharedArrayBuffer = new SharedArrayBuffer(Math.max(FIRST_REGION, capacity * 8)),
    private scratch: SharedArrayBuffer | null = null,
    count = 0,
  ) {
    this.table = new SharedSeenSet({ buffer: region, capacity });
    this.count = count;
  }

  /** The partition another thread holds. */
  static fromRef(ref: GrowableRef): GrowingSeenSet {
    return new GrowingSeenSet(ref.capacity, ref.region, ref.scratch, ref.count);
  }

  /** How another thread holds this partition. */
  get ref(): GrowableRef {
    return { region: this.region, scratch: this.scratch, capacity: this.table.capacity, count: this.count };
  }

  /** Bytes of table in use (the reserved region is larger, its untouched pages free). */
  get bytes(): number {
    return this.table.bytes;
  }

  /**
   * Readies growth to `capacity` slots: returns the table to copy from (the old keys, set
   * aside) and the new, empty one to copy into; `commit` then switches to it. Between the
   * two, threads copy slot ranges (`SharedSeenSet.copyFrom`).
   */
  prepare(capacity: number): { from: TableRef; into: TableRef } {
    const old = this.table;
    if (capacity * 8 > this.region.byteLength) {
      // Outgrown: rehash straight into a new, larger region.
      this.region = new SharedArrayBuffer(Math.max(capacity * 8 * 4, this.region.byteLength * 4));
      return { from: old.ref, into: { buffer: this.region, capacity } };
    }
    const bytes = old.capacity * 8;
    if (this.scratch === null || this.scratch.byteLength < bytes) this.scratch = new SharedArrayBuffer(Math.max(bytes, (this.scratch?.byteLength ?? 0) * 2));
    new Int32Array(this.scratch, 0, old.capacity * 2).set(old.words);
    new Int32Array(this.region, 0, capacity * 2).fill(0);
    return { from: { buffer: this.scratch, capacity: old.capacity }, into: { buffer: this.region, capacity } };
  }

  /** Switches to the table `prepare` returned, once every key is copied into it. */
  commit(into: TableRef): void {
    this.table = new SharedSeenSet(into);
  }

  /** Grows to `capacity` slots, copying in this thread. */
  growAlone(capacity: number): void {
    const { from, into } = this.prepare(capacity);
    new SharedSeenSet(into).copyFrom(new SharedSeenSet(from), 0, from.capacity, false);
    this.commit(into);
  }

  /**
   * Grows to `capacity` slots leaving out the slots claimed in an abandoned level
   * (level-claims.ts): the level's insertions.
   */
  rebuildWithoutClaimed(capacity: number): void {
    const { from, into } = this.prepare(capacity);
    const src = new Int32Array(from.buffer, 0, from.capacity * 2);
    const dst = new SharedSeenSet(into);
    let removed = 0;
    for (let i = 0; i < from.capacity; i++) {
      const h = src[i << 1];
      if (h === 0) continue;
      const l = src[(i << 1) + 1];
      if ((l & CLAIMED) !== 0) {
        removed++;
        continue;
      }
      dst.insertUnshared(h, l);
    }
    this.commit(into);
    this.count -= removed;
  }

  /**
   * Inserts a key (this thread alone uses the partition now); true when new. Grows at
   * `maxLoad` by `growth`, or by GROWTH when `maxBytes` cannot take that.
   */
  insertGrowing(hi: number, lo: number, maxLoad: number, growth: number, maxBytes = Infinity): boolean {
    if (this.count + 1 > this.table.capacity * maxLoad) {
      let cap = Math.ceil(this.table.capacity * growth);
      // The smallest step the budget allows; past it, the partition is full.
      if (cap * 8 > maxBytes) cap = Math.max(Math.ceil(this.table.capacity * GROWTH), Math.ceil((this.count + 1) / MAX_LOAD));
      if (cap * 8 > maxBytes) throw new PartitionFullError(cap * 8);
      this.growAlone(cap);
    }
    if (!this.table.insertUnshared(hi, lo)) return false;
    this.count++;
    return true;
  }
}

/** A partition that would outgrow its byte budget. */
export class PartitionFullError extends Error {
  override name = 'PartitionFullError';
  constructor(readonly bytes: number) {
    super(`a seen-set partition would need ${bytes} bytes`);
  }
}
