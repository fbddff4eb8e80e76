// The part of the seen set kept as bits (--storage bitstate): each key moved out of the
// in-memory table sets `hashes` bits of an array of 2^log2Bits bits (SPIN's bitstate hashing,
// -DBITSTATE -w -k), its bit positions derived from the 62-bit key by enhanced double hashing
// (Dillinger and Manolios, "Fast and Accurate Bitstate Verification for SPIN", 2004). A key
// whose bits are all set is taken for a seen one: possibly wrongly, so every state after it
// may be missed. The chance of that is the Bloom filter's false-positive rate, (1 - e^(-k·n/m))^k
// for n keys in m bits with k hashes, summed over every new state looked up.

/** A bit array holding keys as `hashes` bits each. */
export class BitstateSeenSet {
  readonly bits: number;
  private readonly words: Int32Array;
  /** Keys added that set a bit (a key moved again, as the frontier's are, counts once). */
  size = 0;
  /** Expected number of new states taken for seen ones so far (see the file header). */
  expectedMissed = 0;

  constructor(
    readonly log2Bits: number,
    readonly hashes: number,
  ) {
    this.bits = 2 ** log2Bits;
    this.words = new Int32Array(this.bits / 32);
  }

  /** Bytes of the array. */
  get bytes(): number {
    return this.words.byteLength;
  }

  /**
   * Sets the key's bits (`set`) or tests them; returns whether every bit was set before.
   * Two 32-bit hashes a = lo and b = hi (odd) step as a += b, b += i (enhanced double
   * hashing); an array over 2^32 bits takes the top bits of an index from a second pair
   * mixed from the same key.
   */
  private probe(hi: number, lo: number, set: boolean): boolean {
    const w = this.words;
    const log2 = this.log2Bits;
    const wide = log2 > 32 ? log2 - 32 : 0;
    const narrow = 32 - Math.min(32, log2);
    let a = lo | 0;
    let b = hi | 1;
    let c = Math.imul(hi ^ (lo >>> 15), 0x9e3779b1);
    let d = Math.imul(lo ^ (hi >>> 13), 0x85ebca6b) | 1;
    let all = true;
    for (let i = 0; i < this.hashes; i++) {
      // A bit index of log2Bits bits: the top `wide` bits from c, the low 32 from a.
      const low = (a >>> 0) >>> narrow;
      const index = wide > 0 ? ((c >>> 0) >>> (32 - wide)) * 4294967296 + low : low;
      const word = wide > 0 ? Math.floor(index / 32) : index >>> 5;
      const mask = 1 << (low & 31);
      if ((w[word] & mask) === 0) {
        if (!set) return false;
        all = false;
        w[word] |= mask;
      }
      a = (a + b) | 0;
      b = (b + i) | 0;
      c = (c + d) | 0;
      d = (d + i) | 0;
    }
    return all;
  }

  /** Sets the key's bits; a key that set none (added before, or all its bits set by others) is not counted again. */
  add(hi: number, lo: number): void {
    if (!this.probe(hi, lo, true)) this.size++;
  }

  /** True when every bit of the key is set (it was added, or others set its bits). */
  has(hi: number, lo: number): boolean {
    return this.probe(hi, lo, false);
  }

  /** The chance a key never added has every bit set now: (1 - e^(-k·n/m))^k. */
  falsePositiveRate(): number {
    return (1 - Math.exp((-this.hashes * this.size) / this.bits)) ** this.hashes;
  }

  /** Notes that `n` keys were looked up and not found: each had falsePositiveRate() chance of being found wrongly. */
  noteNewStates(n: number): void {
    this.expectedMissed += n * this.falsePositiveRate();
  }
}

/** The probability that at least one state was missed, given the expected number missed (Poisson: 1 - e^-x). */
export function missProbability(expectedMissed: number): number {
  return -Math.expm1(-expectedMissed);
}
