// The seen set: an open-addressing table of 64-bit fingerprints with, per state, the slot of
// its parent and the index of the action that reached it (TLC's FPSet + TLCTrace in one).
//
// Slot layout, four 32-bit words: [fingerprint high, fingerprint low, parent slot, action
// index]. A (0, 0) fingerprint marks an empty slot (fingerprinting never yields it). Full
// states are not kept: a trace is rebuilt by walking parent slots to a root and replaying.
// The table grows by half when 85% full (any capacity works: a fingerprint's home slot is
// `lo * capacity / 2^32`, so the load stays between 0.57 and 0.85 and a state costs 19–28
// bytes); `grow` returns the old-slot → new-slot map so callers holding slot numbers (the
// frontier) can follow, and parent slots are rewritten.

/** Parent slot of an initial state. */
export const ROOT = 0xffffffff;
const WORDS = 4;
const EMPTY_MAP = new Uint32Array(0);

/** Thrown when the table would exceed its memory budget. */
export class SeenSetFullError extends Error {
  override name = 'SeenSetFullError';
}

export class SeenSet {
  private table: Uint32Array;
  private cap: number;
  private count = 0;

  /**
   * @param initialCapacity slots to start with (rounded up to a power of two)
   * @param maxBytes the table never grows beyond this many bytes
   */
  constructor(initialCapacity = 1 << 16, private readonly maxBytes = Number.POSITIVE_INFINITY) {
    this.cap = Math.max(1024, Math.ceil(initialCapacity));
    this.table = new Uint32Array(this.cap * WORDS);
  }

  /** Home slot of a fingerprint with low half `lo`, in a table of `cap` slots. */
  private static home(lo: number, cap: number): number {
    return Math.floor(((lo >>> 0) * cap) / 4294967296);
  }

  /** Distinct states stored. */
  get size(): number {
    return this.count;
  }

  /** Slots allocated. */
  get capacity(): number {
    return this.cap;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.table.byteLength;
  }

  /**
   * Inserts a fingerprint unless present. Returns its new slot, or -1 if it was already
   * there. The caller must call `grow()` when `needsGrow` (between insertions).
   */
  insert(hi: number, lo: number, parent: number, action: number): number {
    const t = this.table;
    const cap = this.cap;
    let i = SeenSet.home(lo, cap);
    for (;;) {
      const b = i * WORDS;
      const h = t[b];
      const l = t[b + 1];
      if (h === 0 && l === 0) {
        t[b] = hi;
        t[b + 1] = lo;
        t[b + 2] = parent;
        t[b + 3] = action;
        this.count++;
        return i;
      }
      if (h === hi && l === lo) return -1;
      i = i + 1 === cap ? 0 : i + 1;
    }
  }

  /** The slot holding a fingerprint, or -1. */
  find(hi: number, lo: number): number {
    const t = this.table;
    const cap = this.cap;
    let i = SeenSet.home(lo, cap);
    for (;;) {
      const b = i * WORDS;
      const h = t[b];
      const l = t[b + 1];
      if (h === 0 && l === 0) return -1;
      if (h === hi && l === lo) return i;
      i = i + 1 === cap ? 0 : i + 1;
    }
  }

  /** True when the load factor passed 0.85 and the table should grow. */
  get needsGrow(): boolean {
    return this.count > this.cap * 0.85;
  }

  hiOf(slot: number): number {
    return this.table[slot * WORDS];
  }
  loOf(slot: number): number {
    return this.table[slot * WORDS + 1];
  }
  parentOf(slot: number): number {
    return this.table[slot * WORDS + 2];
  }
  actionOf(slot: number): number {
    return this.table[slot * WORDS + 3];
  }

  /**
   * Grows the table by half. Returns the map from old slot to new slot (parents are rewritten
   * here; callers rewrite the slots they hold). Throws SeenSetFullError past `maxBytes`.
   */
  grow(): Uint32Array {
    const old = this.table;
    const oldCap = this.capacity;
    const newCap = Math.ceil(oldCap * 1.5);
    if (newCap * WORDS * 4 > this.maxBytes) {
      throw new SeenSetFullError(`seen set would need ${newCap * WORDS * 4} bytes, more than the ${this.maxBytes}-byte budget`);
    }
    const map = oldCap > 0 ? new Uint32Array(oldCap) : EMPTY_MAP;
    const t = new Uint32Array(newCap * WORDS);
    for (let s = 0; s < oldCap; s++) {
      const b = s * WORDS;
      const hi = old[b];
      const lo = old[b + 1];
      if (hi === 0 && lo === 0) continue;
      let i = SeenSet.home(lo, newCap);
      while (t[i * WORDS] !== 0 || t[i * WORDS + 1] !== 0) i = i + 1 === newCap ? 0 : i + 1;
      const nb = i * WORDS;
      t[nb] = hi;
      t[nb + 1] = lo;
      t[nb + 2] = old[b + 2];
      t[nb + 3] = old[b + 3];
      map[s] = i;
    }
    for (let i = 0; i < newCap; i++) {
      const b = i * WORDS;
      if ((t[b] !== 0 || t[b + 1] !== 0) && t[b + 2] !== ROOT) t[b + 2] = map[t[b + 2]];
    }
    this.table = t;
    this.cap = newCap;
    return map;
  }
}
