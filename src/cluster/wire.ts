// The cluster's wire format: control frames (a JSON header and binary arrays after it) and
// batches of successors sent to the node that owns them. Every number is little-endian.
//
// A frame: u32 header length, the header as UTF-8 JSON, then the payload (arrays whose
// byte lengths the header gives). A successor batch: u32 WIRE_VERSION, u32 sender node, u32
// count, then per successor: key high u32, key low u32, parent's position in its level u32,
// parent's index on the sender u32, action index u16, packed length u16, then the state
// packed as src/state/packed.ts packs it (one byte a slot for most states).

/** Bumped whenever a frame or a batch changes: a node of another version is refused at join. */
export const WIRE_VERSION = 1;

/** Bytes of a successor's fixed fields in a batch. */
export const SUCCESSOR_HEADER_BYTES = 20;

/** Bytes a batch of successors may reach before it is sent (NATS's default max payload is 1 MiB). */
export const BATCH_BYTES = 256 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A control message: the header and the binary arrays after it. */
export interface Frame {
  readonly header: Record<string, unknown>;
  readonly payload: Uint8Array;
}

/** A frame's bytes: `header` as JSON, then `parts` one after the other. */
export function frame(header: object, parts: readonly ArrayBufferView[] = []): Uint8Array {
  const json = encoder.encode(JSON.stringify(header));
  let n = 4 + json.length;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  let at = 4 + json.length;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  return out;
}

/** The frame in `data`; throws on bytes that are not one. */
export function unframe(data: Uint8Array): Frame {
  if (data.byteLength < 4) throw new Error('a cluster message too short to be a frame');
  const len = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
  if (4 + len > data.byteLength) throw new Error('a cluster message whose header runs past its end');
  const header = JSON.parse(decoder.decode(data.subarray(4, 4 + len))) as Record<string, unknown>;
  return { header, payload: data.subarray(4 + len) };
}

/** Copies `bytes` (any alignment) into a fresh array of 32-bit words. */
export function u32s(bytes: Uint8Array, from = 0, count = (bytes.byteLength - from) >>> 2): Uint32Array {
  const out = new Uint32Array(count);
  new Uint8Array(out.buffer).set(bytes.subarray(from, from + count * 4));
  return out;
}

/** Copies `bytes` (any alignment) into a fresh array of doubles. */
export function f64s(bytes: Uint8Array, from = 0, count = (bytes.byteLength - from) >>> 3): Float64Array {
  const out = new Float64Array(count);
  new Uint8Array(out.buffer).set(bytes.subarray(from, from + count * 8));
  return out;
}

/** A batch of successors being written for one owner. */
export class SuccessorBatch {
  private bytes = new Uint8Array(BATCH_BYTES + 4096);
  private view = new DataView(this.bytes.buffer);
  private length = 12;
  /** Successors in the batch. */
  count = 0;

  constructor(private readonly sender: number) {}

  /** Bytes written so far. */
  get size(): number {
    return this.length;
  }

  /** Appends a successor whose packed state is `state[from, to)`. */
  push(hi: number, lo: number, parentPos: number, parentLocal: number, action: number, state: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.length + SUCCESSOR_HEADER_BYTES + n > this.bytes.length) this.grow(SUCCESSOR_HEADER_BYTES + n);
    const v = this.view;
    let p = this.length;
    v.setUint32(p, hi >>> 0, true);
    v.setUint32(p + 4, lo >>> 0, true);
    v.setUint32(p + 8, parentPos, true);
    v.setUint32(p + 12, parentLocal, true);
    v.setUint16(p + 16, action, true);
    v.setUint16(p + 18, n, true);
    p += SUCCESSOR_HEADER_BYTES;
    this.bytes.set(state.subarray(from, to), p);
    this.length = p + n;
    this.count++;
  }

  private grow(n: number): void {
    const b = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    b.set(this.bytes.subarray(0, this.length));
    this.bytes = b;
    this.view = new DataView(b.buffer);
  }

  /** The batch's bytes (a copy), and the builder emptied. */
  take(): Uint8Array {
    this.view.setUint32(0, WIRE_VERSION, true);
    this.view.setUint32(4, this.sender, true);
    this.view.setUint32(8, this.count, true);
    const out = this.bytes.slice(0, this.length);
    this.length = 12;
    this.count = 0;
    return out;
  }
}

/** What a batch's reader is handed for each successor (the packed state is `bytes[from, to)`). */
export type SuccessorVisitor = (hi: number, lo: number, parentPos: number, sender: number, parentLocal: number, action: number, bytes: Uint8Array, from: number, to: number) => void;

/** Calls `visit` for each successor of the batch in `data`; throws on a batch of another version. */
export function readBatch(data: Uint8Array, visit: SuccessorVisitor): void {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = v.getUint32(0, true);
  if (version !== WIRE_VERSION) throw new Error(`a batch of wire version ${version}, this node speaks ${WIRE_VERSION}`);
  const sender = v.getUint32(4, true);
  const count = v.getUint32(8, true);
  let p = 12;
  for (let i = 0; i < count; i++) {
    const n = v.getUint16(p + 18, true);
    const from = p + SUCCESSOR_HEADER_BYTES;
    visit(v.getUint32(p, true), v.getUint32(p + 4, true), v.getUint32(p + 8, true), sender, v.getUint32(p + 12, true), v.getUint16(p + 16, true), data, from, from + n);
    p = from + n;
  }
}
