// A node's table from a state's 64-bit key to a small number, for one level: the candidate
// kept for each new key (its owner side), or the keys already sent (its sender side). Linear
// probing over a power-of-two capacity, at most half full; emptied, not freed, between levels.

/** Key (hi, lo) → a non-negative number, for the keys of one level. */
export class KeyTable {
  private keys = new Uint32Array(2 * 1024);
  private values = new Int32Array(1024).fill(-1);
  private used = 0;

  /** Keys held. */
  get size(): number {
    return this.used;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.keys.byteLength + this.values.byteLength;
  }

  /** The value of key (hi, lo), or -1. */
  get(hi: number, lo: number): number {
    const mask = this.values.length - 1;
    for (let i = home(hi, lo, mask); ; i = (i + 1) & mask) {
      const v = this.values[i];
      if (v < 0) return -1;
      if (this.keys[2 * i] === hi >>> 0 && this.keys[2 * i + 1] === lo >>> 0) return v;
    }
  }

  /** Sets the value of key (hi, lo) (`value` ≥ 0). */
  set(hi: number, lo: number, value: number): void {
    if ((this.used + 1) * 2 > this.values.length) this.grow();
    const mask = this.values.length - 1;
    for (let i = home(hi, lo, mask); ; i = (i + 1) & mask) {
      if (this.values[i] < 0) {
        this.keys[2 * i] = hi;
        this.keys[2 * i + 1] = lo;
        this.values[i] = value;
        this.used++;
        return;
      }
      if (this.keys[2 * i] === hi >>> 0 && this.keys[2 * i + 1] === lo >>> 0) {
        this.values[i] = value;
        return;
      }
    }
  }

  /** Forgets every key (keeps the room). */
  clear(): void {
    if (this.used === 0) return;
    this.values.fill(-1);
    this.used = 0;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.values = new Int32Array(values.length * 2).fill(-1);
    this.used = 0;
    for (let i = 0; i < values.length; i++) if (values[i] >= 0) this.set(keys[2 * i], keys[2 * i + 1], values[i]);
  }
}

function home(hi: number, lo: number, mask: number): number {
  return (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 7) & mask;
}
