// The seen set: an open-addressing table of 64-bit fingerprints with, per state, the slot of
// its parent and the index of the action that reached it (TLC's FPSet + TLCTrace in one).
//
// Slot layout, four 32-bit words: [fingerprint high, fingerprint low, parent slot, action
// index]. A (0, 0) fingerprint marks an empty slot (fingerprinting never yields it). Full
// states are not kept: a trace is rebuilt by walking parent slots to a root and replaying.
// The table doubles when three quarters full; `grow` returns the old-slot → new-slot map so
// callers holding slot numbers (the frontier) can follow, and parent slots are rewritten.

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
  private mask: number;
  private count = 0;

  /**
   * @param initialCapacity slots to start with (rounded up to a power of two)
   * @param maxBytes the table never grows beyond this many bytes
   */
  constructor(initialCapacity = 1 << 16, private readonly maxBytes = Number.POSITIVE_INFINITY) {
    let cap = 1024;
    while (cap < initialCapacity) cap *= 2;
    this.table = new Uint32Array(cap * WORDS);
    this.mask = cap - 1;
  }

  /** Distinct states stored. */
  get size(): number {
    return this.count;
  }

  /** Slots allocated. */
  get capacity(): number {
    return this.mask + 1;
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
    let i = lo & this.mask;
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
      i = (i + 1) & this.mask;
    }
  }

  /** The slot holding a fingerprint, or -1. */
  find(hi: number, lo: number): number {
    const t = this.table;
    let i = lo & this.mask;
    for (;;) {
      const b = i * WORDS;
      const h = t[b];
      const l = t[b + 1];
      if (h === 0 && l === 0) return -1;
      if (h === hi && l === lo) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** True when the load factor passed 3/4 and the table should grow. */
  get needsGrow(): boolean {
    return this.count * 4 > this.capacity * 3;
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
   * Doubles the table. Returns the map from old slot to new slot (parents are rewritten
   * here; callers rewrite the slots they hold). Throws SeenSetFullError past `maxBytes`.
   */
  grow(): Uint32Array {
    const old = this.table;
    const oldCap = this.capacity;
    const newCap = oldCap * 2;
    if (newCap * WORDS * 4 > this.maxBytes) {
      throw new SeenSetFullError(`seen set would need ${newCap * WORDS * 4} bytes, more than the ${this.maxBytes}-byte budget`);
    }
    const map = oldCap > 0 ? new Uint32Array(oldCap) : EMPTY_MAP;
    const t = new Uint32Array(newCap * WORDS);
    const mask = newCap - 1;
    for (let s = 0; s < oldCap; s++) {
      const b = s * WORDS;
      const hi = old[b];
      const lo = old[b + 1];
      if (hi === 0 && lo === 0) continue;
      let i = lo & mask;
      while (t[i * WORDS] !== 0 || t[i * WORDS + 1] !== 0) i = (i + 1) & mask;
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
    this.mask = mask;
    return map;
  }
}
