// Vector states packed as bytes for a frontier (and for crossing threads), in one of two
// forms told apart by their length, which the frontier's offsets give:
//   - raw: when every code is below 256, one byte per slot (length = the width);
//   - varint: otherwise, each code as an unsigned LEB128 varint (a code of 256 or more takes
//     two bytes or more, so the length exceeds the width).
// Most states of most models are raw (codes below 256: small integers, null, booleans, the
// model's seeded strings), and a raw state packs and unpacks as a plain byte copy, without
// the varint's test per byte: on kvm 2/2/5 the varint loops were about a tenth of the search.
import type { ByteSink } from './codec.ts';

/** Appends `vec` packed to `sink`; returns the offset it starts at. */
export function packVector(vec: Int32Array, sink: ByteSink): number {
  const start = sink.length;
  const n = vec.length;
  sink.reserve(n * 5);
  const b = sink.bytes;
  // Raw first (the bytes are truncated codes); any code of 256 or more (or negative, as a
  // code of 2^31 or more reads in an Int32Array) sets a bit of `wide`.
  let wide = 0;
  for (let i = 0; i < n; i++) {
    const c = vec[i];
    wide |= c;
    b[start + i] = c;
  }
  if ((wide & ~0xff) === 0) {
    sink.length = start + n;
    return start;
  }
  let p = start;
  for (let i = 0; i < n; i++) {
    let c = vec[i] >>> 0;
    while (c >= 0x80) {
      b[p++] = (c & 0x7f) | 0x80;
      c >>>= 7;
    }
    b[p++] = c;
  }
  sink.length = p;
  return start;
}

/**
 * Appends the raw packing of a vector whose parent's raw packing is `parent` and which
 * differs from it by `delta` ([slot, code, …]): a byte copy and the delta's bytes. Returns
 * the offset it starts at, or -1 (appending nothing) when a code of `delta` is 256 or more
 * (the vector is then not raw: packVector packs it).
 */
export function packEdit(parent: Uint8Array, delta: Int32Array, sink: ByteSink): number {
  for (let j = 1; j < delta.length; j += 2) if ((delta[j] & ~0xff) !== 0) return -1;
  const start = sink.length;
  sink.reserve(parent.length);
  const b = sink.bytes;
  b.set(parent, start);
  for (let j = 0; j < delta.length; j += 2) b[start + delta[j]] = delta[j + 1];
  sink.length = start + parent.length;
  return start;
}

/**
 * `unpackVector` that also copies a raw packing into `raw` (of the width's length) and
 * returns true, or returns false for a varint one (`raw` then unchanged).
 */
export function unpackVectorRaw(bytes: Uint8Array, offset: number, end: number, out: Int32Array, raw: Uint8Array): boolean {
  const n = out.length;
  if (end - offset !== n) {
    unpackVector(bytes, offset, end, out);
    return false;
  }
  for (let i = 0; i < n; i++) {
    const c = bytes[offset + i];
    out[i] = c;
    raw[i] = c;
  }
  return true;
}

/** Reads the vector packed in bytes [offset, end) of `bytes` into `out` (its length is the width). */
export function unpackVector(bytes: Uint8Array, offset: number, end: number, out: Int32Array): void {
  const n = out.length;
  if (end - offset === n) {
    for (let i = 0; i < n; i++) out[i] = bytes[offset + i];
    return;
  }
  let p = offset;
  for (let i = 0; i < n; i++) {
    let c = bytes[p++];
    if (c >= 0x80) {
      c &= 0x7f;
      let shift = 7;
      for (;;) {
        const x = bytes[p++];
        c |= (x & 0x7f) << shift;
        if (x < 0x80) break;
        shift += 7;
      }
    }
    out[i] = c;
  }
}
