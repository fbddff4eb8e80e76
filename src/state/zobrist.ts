// Fingerprints of vector states: the XOR, over slots, of a 64-bit pseudo-random key of
// (slot, code) — Zobrist hashing. A step changes a few slots, so the successor's
// fingerprint is the parent's with those slots' old keys XORed out and new keys XORed in:
// a handful of table lookups instead of hashing the whole state.
//
// The key of (slot, code) is a fixed function of both (two lanes of murmur3-style
// finalisers seeded by the slot; each lane is a bijection of the code for a given slot), so
// fingerprints are the same in every thread and every run. Keys of codes below 128 are
// tabled. For two distinct states the XOR of their differing slots' keys is zero with
// probability 2^-64 when keys behave as random, which is what the reported collision
// probability assumes (as TLC's and SPIN's hash compaction do).

import { fmixA, fmixB } from './fingerprint.ts';

const TABLED = 128;

function seedA(slot: number): number {
  return fmixB(Math.imul(slot + 1, 0x9e3779b1) ^ 0x5bd1e995);
}
function seedB(slot: number): number {
  return fmixA(Math.imul(slot + 1, 0x85ebca77) ^ 0x27d4eb2f);
}

/** High lane of the key of (slot, code). */
export function keyHi(slot: number, code: number): number {
  return fmixA(code ^ seedA(slot)) | 0;
}
/** Low lane of the key of (slot, code). */
export function keyLo(slot: number, code: number): number {
  return fmixB(Math.imul(code, 0x9e3779b1) ^ seedB(slot) ^ 0x68e31da4) | 0;
}

/** Zobrist keys for vectors of `width` slots. */
export class Zobrist {
  private readonly hi: Int32Array;
  private readonly lo: Int32Array;

  constructor(readonly width: number) {
    this.hi = new Int32Array(width * TABLED);
    this.lo = new Int32Array(width * TABLED);
    for (let s = 0; s < width; s++) {
      for (let c = 0; c < TABLED; c++) {
        this.hi[s * TABLED + c] = keyHi(s, c);
        this.lo[s * TABLED + c] = keyLo(s, c);
      }
    }
  }

  /** High lane of the key of (slot, code). */
  hiOf(slot: number, code: number): number {
    return code < TABLED ? this.hi[slot * TABLED + code] : keyHi(slot, code);
  }
  /** Low lane of the key of (slot, code). */
  loOf(slot: number, code: number): number {
    return code < TABLED ? this.lo[slot * TABLED + code] : keyLo(slot, code);
  }

  /** The fingerprint of `vec` into out[0] (high) and out[1] (low), as unsigned halves. */
  full(vec: Int32Array, out: Uint32Array): void {
    let h = 0;
    let l = 0;
    const hi = this.hi;
    const lo = this.lo;
    for (let s = 0; s < this.width; s++) {
      const c = vec[s];
      if (c < TABLED) {
        h ^= hi[s * TABLED + c];
        l ^= lo[s * TABLED + c];
      } else {
        h ^= keyHi(s, c);
        l ^= keyLo(s, c);
      }
    }
    out[0] = h;
    out[1] = l;
  }
}
