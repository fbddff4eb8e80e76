// The seen set of one swarm job: hash compaction (SPIN's -DHC), a fixed-size open-addressing
// table of 64-bit fingerprints, each with the smallest depth the job reached it at, so that a
// depth-bounded depth-first search re-explores a state met again closer to the root (SPIN's
// -DREACH): without that, a state first met near the depth bound hides its successors from
// every shorter path, and the bounded search misses states within its bound.

/** How a key was met. */
export const enum Met {
  /** Never before: stored. */
  New = 0,
  /** Before, at a greater depth: its depth lowered, to be explored again. */
  Closer = 1,
  /** Before, at this depth or a smaller one. */
  Seen = 2,
  /** New, but the table is full: not stored. */
  Full = 3,
}

/** Load past which the table counts as full (probes grow long). */
const MAX_LOAD = 0.9;

/** A fixed-capacity table of (64-bit key, depth). */
export class CompactTable {
  private readonly keys: Int32Array;
  private readonly depths: Uint32Array;
  private readonly mask: number;
  private readonly limit: number;
  /** Keys stored. */
  size = 0;

  /** A table for at most `capacity` keys (rounded up so the load stays under 0.9). */
  constructor(capacity: number) {
    let slots = 16;
    while (slots * MAX_LOAD < capacity) slots *= 2;
    this.keys = new Int32Array(2 * slots);
    this.depths = new Uint32Array(slots);
    this.mask = slots - 1;
    this.limit = Math.min(capacity, Math.floor(slots * MAX_LOAD));
  }

  /** Bytes the table holds. */
  get bytes(): number {
    return this.keys.byteLength + this.depths.byteLength;
  }

  /** Meets key (hi, lo) at `depth`: stores it, lowers its depth, or says it was seen. The key (0, 0) is stored as (0, 1). */
  meet(hi: number, lo: number, depth: number): Met {
    if ((hi | lo) === 0) lo = 1;
    const keys = this.keys;
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask;
    for (;;) {
      const h = keys[2 * i];
      const l = keys[2 * i + 1];
      if ((h | l) === 0) {
        if (this.size >= this.limit) return Met.Full;
        keys[2 * i] = hi;
        keys[2 * i + 1] = lo;
        this.depths[i] = depth;
        this.size++;
        return Met.New;
      }
      if (h === (hi | 0) && l === (lo | 0)) {
        if (depth < this.depths[i]) {
          this.depths[i] = depth;
          return Met.Closer;
        }
        return Met.Seen;
      }
      i = (i + 1) & this.mask;
    }
  }
}
