// The parallel search's seen set: one lock-free open-addressing table of 64-bit fingerprints
// in a SharedArrayBuffer, which every worker thread maps and inserts into with
// Atomics.compareExchange.
//
// A slot is two 32-bit words [high, low]; neither half of a stored fingerprint is ever 0
// (a 0 half is stored as 1, which merges 2^-31 of the fingerprint space: negligible next to
// the collision bound), so a slot whose high word is 0 is empty and a slot whose high word is
// set but low word still 0 is being written. Insertion claims the high word with a
// compare-and-exchange, then publishes the low word; a reader meeting a claimed slot waits
// for the low word (a few instructions). Parents and actions are not kept here but in dense
// per-level arrays (parallel-bfs.ts), so a slot is 8 bytes.
//
// The table never grows while workers use it: the coordinator grows it between phases of a
// level, sized for the candidates about to be inserted (level-synchronous search makes that
// possible without a concurrent resize). Any capacity works (not only powers of two): a
// fingerprint's home slot is `lo * capacity / 2^32`, so the table can grow by 1.5× and run
// at a high load, keeping bytes per state low.

/** A fingerprint table shared between threads. */
export class SharedSeenSet {
  readonly words: Int32Array;
  readonly capacity: number;

  /** Maps a table created elsewhere (another thread) or a new one of `capacity` slots. */
  constructor(bufferOrCapacity: SharedArrayBuffer | number) {
    const buffer = typeof bufferOrCapacity === 'number' ? new SharedArrayBuffer(bufferOrCapacity * 8) : bufferOrCapacity;
    this.words = new Int32Array(buffer);
    this.capacity = this.words.length / 2;
  }

  /** Home slot of a fingerprint whose (non-zero) low half is `l`. */
  private home(l: number): number {
    return Math.floor(((l >>> 0) * this.capacity) / 4294967296);
  }

  get buffer(): SharedArrayBuffer {
    return this.words.buffer as SharedArrayBuffer;
  }

  get bytes(): number {
    return this.words.byteLength;
  }

  /** True when the fingerprint is stored. Safe while other threads insert. */
  has(hi: number, lo: number): boolean {
    const w = this.words;
    const h = hi | 0 || 1;
    const l = lo | 0 || 1;
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
    const h = hi | 0 || 1;
    const l = lo | 0 || 1;
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
    const h = hi | 0 || 1;
    const l = lo | 0 || 1;
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
      if (sh === h && w[b + 1] === l) return false;
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
    for (let b = start << 1; b < end << 1; b += 2) {
      const h = src[b];
      if (h === 0) continue;
      if (shared) this.insert(h, src[b + 1]);
      else this.insertUnshared(h, src[b + 1]);
    }
  }
}
