// Claims: how several threads expanding one level of the search insert successors
// straight into the seen set — one probe per successor, as the single-thread search does —
// and still record each new state's canonical parent, the first in the sequential order.
//
// While a level is expanded, the thread that inserts a key into its partition of the seen
// set (compare-and-exchange on the high word) also takes an *entry* from the level's entry
// array — from a chunk of entries it took from a shared counter, so entries of one thread
// are consecutive — and writes there the key's low word, its claim (position in the level,
// action) and the key's slot. It then publishes in the slot's low word not the key's low
// word but the entry's index, with the claimed bit set (shared-seen-set.ts CLAIMED). A thread
// that finds a claimed slot with the key's high word reads the entry's low word to compare
// keys; a match is a state new in this level, found first from another parent: the thread
// lowers the entry's claim to its own (position, action) if that is smaller, and then keeps
// a copy of the state too. A key found without the bit is old.
//
// So a new state costs one random access (its slot), as in the single-thread search: its
// entry is written in order, and a duplicate's entry is read from an array the size of the
// level's new states (about 1 MB on kvm 2/2/5), which mostly stays in cache. (An earlier
// design kept claims in a hash map beside the seen set: a second random miss per new state
// and per duplicate, another when validating and another when clearing the marks; on kvm
// 2/2/5, measured per level, each of two threads then spent 2.3 times as long a state as one
// thread alone, against 1.2 times for two independent searches run at once.)
//
// After the level (validatePhase) every copy kept is checked against its entry: it is the
// state's record exactly when its (position, action) is the entry's final claim, the
// minimum, which is the parent the sequential search records. Each entry has exactly one such
// copy, and that copy's thread puts the key's low word back into the slot, clearing the bit:
// after validation the seen set holds only plain keys again.
//
// The seen set cannot grow while threads insert: each partition is sized beforehand from an
// estimate of its share of the level's new states; when more turn up in any partition (its
// counter passes `limit`) or the entries run out, the level is abandoned, the seen set
// rebuilt without the level's claimed slots, and the level redone with room for twice as
// many.
import { CLAIMED, highWord, lowWord, partitionOf, type TableRef } from './shared-seen-set.ts';

/** A level's claims as they cross threads. */
export interface ClaimsRef {
  /** [key's low word, claim (position << 8 | action), slot of the key in its partition] per entry. */
  readonly entries: SharedArrayBuffer;
  /** Int32 [0]: entries handed out so far (in chunks); [1 + p]: new states inserted into partition p (counted in batches). */
  readonly counter: SharedArrayBuffer;
  /** New states in one partition past which the level is abandoned (the partition would overflow). */
  readonly limit: number;
}

/** Words of an entry. */
const WORDS = 3;
/** Entries a thread takes from the counter at a time. */
const CHUNK = 256;
/** Most entries a level can have: a claimed slot holds the index in the 30 bits above the marks. */
export const MAX_ENTRIES = 2 ** 30;

/** Entries for `limit` new states in each of `parts` partitions, and each thread's last chunk. */
function entriesFor(limit: number, parts: number): number {
  return limit * parts + 16 * CHUNK;
}

/** Claims with room for `limit` new states in each of `parts` partitions, or null when a level's slots could not number that many entries. */
export function newClaims(limit: number, parts: number): ClaimsRef | null {
  const n = entriesFor(limit, parts);
  if (n > MAX_ENTRIES) return null;
  return { entries: new SharedArrayBuffer(n * WORDS * 4), counter: new SharedArrayBuffer(4 * (1 + parts)), limit };
}

/** Bytes the claims of a level with room for `limit` new states per partition take (for the memory budget). */
export function claimsBytes(limit: number, parts: number): number {
  return entriesFor(limit, parts) * WORDS * 4;
}

/** `c` ready for a level with room for `limit` per partition, or null when it is too small. */
export function reuseClaims(c: ClaimsRef, limit: number, parts: number): ClaimsRef | null {
  if (c.entries.byteLength < entriesFor(limit, parts) * WORDS * 4 || c.counter.byteLength !== 4 * (1 + parts)) return null;
  // Entries need no clearing: each is written before its slot publishes it.
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
  private readonly entries: Int32Array;
  private readonly capacity: number;
  private readonly tables: Int32Array[];
  private readonly caps: number[];
  /** [0]: entries handed out; [1 + p]: partition p's insertions. */
  private readonly counter: Int32Array;
  /** This thread's chunk of entries: the next to use and the end. */
  private free = 0;
  private end = 0;
  /** The entry of the last key claimed NEW or LOWER. */
  entry = -1;
  /** New states this thread inserted, per partition. */
  readonly inserted: number[];
  /** `inserted` as last added to the counters. */
  private readonly flushed: number[];
  private pending = 0;
  /** Set when the level must be abandoned (a partition's counter passed the limit, or the entries ran out). */
  overflow = false;
  /** A state had more than 256 actions (or the level more than 2^24 states): claims cannot order it. */
  wide = false;

  constructor(
    private readonly ref: ClaimsRef,
    tables: readonly TableRef[],
  ) {
    this.entries = new Int32Array(ref.entries);
    this.capacity = this.entries.length / WORDS;
    this.tables = tables.map((t) => new Int32Array(t.buffer, 0, t.capacity * 2));
    this.caps = tables.map((t) => t.capacity);
    this.counter = new Int32Array(ref.counter);
    this.inserted = tables.map(() => 0);
    this.flushed = tables.map(() => 0);
  }

  /**
   * Inserts key (hi, lo) reached by (position, action) of the level. Returns OLD, NEW,
   * LOWER (this copy holds the smallest claim so far: keep it; `entry` is its entry) or
   * HIGHER (drop it).
   */
  claim(hi: number, lo: number, pos: number, action: number): number {
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
    const E = this.entries;
    let i = Math.floor(((l >>> 0) * cap) / 4294967296);
    for (;;) {
      const b = i << 1;
      let sh = w[b];
      if (sh === 0) {
        // An entry first: a slot won must be published.
        if (this.free === this.end && !this.refill()) return HIGHER;
        sh = Atomics.compareExchange(w, b, 0, h);
        if (sh === 0) {
          // This thread inserts the key: fill its entry, then publish the entry in the slot.
          const e = this.free++;
          const x = e * WORDS;
          E[x] = l;
          E[x + 1] = key | 0;
          E[x + 2] = i;
          Atomics.store(w, b + 1, (e << 2) | CLAIMED);
          this.entry = e;
          this.inserted[p]++;
          if (++this.pending === BATCH) this.flush();
          return NEW;
        }
      }
      if (sh === h) {
        // Plain reads: Atomics calls are not inlined (each is a builtin call), and this is
        // once per successor. A low word of 0 is still being written: wait for it. A key
        // stored before this level is final. A claimed slot names its entry, which its
        // inserter wrote before publishing the slot (an atomic store); the entry's address
        // depends on the value read from the slot, so the read of the entry cannot be made
        // before it (neither the compiler nor x86 or Arm reorder a load before the load its
        // address comes from) and sees the entry written. A mismatch (another key with the
        // same high word) is read again atomically before it counts.
        let sl = w[b + 1];
        while (sl === 0) sl = Atomics.load(w, b + 1);
        if ((sl & CLAIMED) === 0) {
          if (sl === l) return OLD;
        } else {
          const e = sl >>> 2;
          if (E[e * WORDS] === l || Atomics.load(E, e * WORDS) === l) {
            this.entry = e;
            return this.lower(e, key) ? LOWER : HIGHER;
          }
        }
      }
      i = i + 1 === cap ? 0 : i + 1;
    }
  }

  /** Takes the next chunk of entries; false (and the level abandoned) when none are left. */
  private refill(): boolean {
    const s = Atomics.add(this.counter, 0, CHUNK);
    if (s >= this.capacity) {
      this.overflow = true;
      return false;
    }
    this.free = s;
    this.end = Math.min(this.capacity, s + CHUNK);
    return true;
  }

  /** Counts this thread's last insertions into the partitions' totals; flags overflow past the limit. */
  flush(): void {
    if (this.pending === 0) return;
    this.pending = 0;
    for (let p = 0; p < this.inserted.length; p++) {
      const d = this.inserted[p] - this.flushed[p];
      if (d === 0) continue;
      this.flushed[p] = this.inserted[p];
      if (Atomics.add(this.counter, 1 + p, d) + d > this.ref.limit) this.overflow = true;
    }
  }

  /** True when the level was abandoned by any thread (read after a range). */
  get abandoned(): boolean {
    if (this.overflow) return true;
    for (let p = 0; p < this.inserted.length; p++) if (Atomics.load(this.counter, 1 + p) > this.ref.limit) return true;
    return false;
  }

  /** Lowers the claim of entry `e` to `key` if smaller; true when it did. */
  private lower(e: number, key: number): boolean {
    const E = this.entries;
    const x = e * WORDS + 1;
    let cur = E[x];
    while (key < cur >>> 0) {
      const seen = Atomics.compareExchange(E, x, cur, key | 0);
      if (seen === cur) return true;
      cur = seen;
    }
    return false;
  }

  /**
   * After the level (every claim final): true when (position, action) `key` is entry `e`'s
   * claim — the copy is its state's record — and then the key (hi, lo) goes back into its
   * slot, plain, in place of the entry. Plain stores: the threads of the next phase see them
   * after the phase's end, which every thread reports through the calling thread.
   */
  settle(e: number, key: number, hi: number): boolean {
    const E = this.entries;
    const x = e * WORDS;
    if (E[x + 1] >>> 0 !== key) return false;
    const parts = this.tables.length;
    this.tables[parts === 1 ? 0 : partitionOf(highWord(hi), parts)][(E[x + 2] << 1) + 1] = E[x];
    return true;
  }
}
