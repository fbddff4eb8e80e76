// Vector states packed as bytes for a frontier (and for crossing threads): each slot's code
// as an unsigned LEB128 varint, so a code below 128 — most of them — is one byte.
import type { ByteSink } from './codec.ts';

/** Appends `vec` packed to `sink`; returns the offset it starts at. */
export function packVector(vec: Int32Array, sink: ByteSink): number {
  const start = sink.length;
  const n = vec.length;
  sink.reserve(n * 5);
  const b = sink.bytes;
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

/** Reads a packed vector at `offset` of `bytes` into `out` (its length is the width); returns the offset after it. */
export function unpackVector(bytes: Uint8Array, offset: number, out: Int32Array): number {
  let p = offset;
  const n = out.length;
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
  return p;
}
