// A compact binary codec for states, so worker threads can pass states as bytes (no JSON,
// no structured clone of Immutable objects) and a BFS frontier can hold bytes, not objects.
//
// Format: one tag byte per value, then its payload. Small integers (-16..111) are one byte;
// other integers are zigzag varints; other numbers eight bytes; strings a varint length and
// varint UTF-16 code units; collections a varint size and their items in iteration order;
// a Record a 32-bit type id and its field values in the Record's key order.
//
// Hash-consing: within one ByteSink (a BFS level, or a worker's share of one), a collection
// equal to one already written there — same fingerprint, same Record type — is written as a
// reference to the earlier copy (tag T_REF, varint offset), and the earlier copy's tag gets
// the SHARED bit. The states of a level differ in a few fields each, so most of a state
// becomes a handful of references: fewer bytes per frontier state, and the decoder, which
// keeps the SHARED collections it has built (keyed by offset), hands back the same object
// for every reference — so the fingerprints cached on it (fingerprint.ts) are computed once
// per level instead of once per state. Equality is decided by the 64-bit fingerprint, the
// same assumption the seen set makes (a collision is as unlikely as the one the summary's
// collision probability reports, over far fewer values).
//
// Record types cross threads by *descriptor* — `Name{key1,key2,…}` — and its 32-bit hash
// (the type id). Each thread learns the Record classes it meets (in states it encodes, or by
// `learnFrom(initialState)`); a type id it has never met is decoded with an anonymous Record
// class built from the descriptor, once the coordinator passes the descriptor on
// (`descriptors()` / `learnDescriptors()`).
// FIXME: such an anonymous Record has the same keys and values (hence the same fingerprint)
// but not the methods of a `class extends Record(…)`; a model whose steps call Record
// subclass methods must create an instance of that class in its initial state.
//
// Decoded collections carry the validation mark of validate.ts (they were valid when
// encoded), so a decoded state is not validated again.
import { fingerprintInto } from './fingerprint.ts';
import { List, Map as IMap, OrderedMap, OrderedSet, Record as IRecord, Set as ISet, Stack, isList, isMap, isOrdered, isRecord, isSet, isStack } from 'immutable';

const T_NULL = 0;
const T_FALSE = 1;
const T_TRUE = 2;
const T_INT = 3;
const T_FLOAT = 4;
const T_STRING = 5;
const T_LIST = 6;
const T_MAP = 7;
const T_SET = 8;
const T_ORDERED_MAP = 9;
const T_ORDERED_SET = 10;
const T_STACK = 11;
const T_RECORD = 12;
const T_REF = 13;
/** Set on a collection's tag when a later reference points at it (the decoder keeps it). */
const SHARED = 0x40;
/** Tags 128..255 are the integers -16..111. */
const T_SMALL = 128;
const SMALL_MIN = -16;
const SMALL_MAX = 111;

/** A growable byte buffer that encoded states are appended to. */
export class ByteSink {
  bytes: Uint8Array;
  length = 0;

  constructor(initial = 1 << 16) {
    this.bytes = new Uint8Array(initial);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < this.length + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.bytes.subarray(0, this.length));
    this.bytes = b;
  }

  /** Forgets the content (keeps the buffer). */
  clear(): void {
    this.length = 0;
    this.interned.clear();
  }

  /** Offsets of the collections written here, by fingerprint (for references). */
  readonly interned = new OffsetsByFingerprint();
}

/**
 * Open-addressing map from a 64-bit fingerprint to the offset of the collection written with
 * it (linear probing, power-of-two capacity, at most half full).
 */
export class OffsetsByFingerprint {
  private keys = new Int32Array(2 * 256);
  private offsets = new Int32Array(256); // offset + 1; 0 marks an empty slot
  private count = 0;

  /** Offset of the collection with fingerprint (hi, lo), or -1. */
  get(hi: number, lo: number): number {
    const mask = this.offsets.length - 1;
    for (let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask; ; i = (i + 1) & mask) {
      const o = this.offsets[i];
      if (o === 0) return -1;
      if (this.keys[2 * i] === hi && this.keys[2 * i + 1] === lo) return o - 1;
    }
  }

  /** Records that the collection with fingerprint (hi, lo) starts at `offset`. */
  set(hi: number, lo: number, offset: number): void {
    if (2 * (this.count + 1) > this.offsets.length) this.grow();
    const mask = this.offsets.length - 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (this.offsets[i] !== 0) i = (i + 1) & mask;
    this.keys[2 * i] = hi;
    this.keys[2 * i + 1] = lo;
    this.offsets[i] = offset + 1;
    this.count++;
  }

  clear(): void {
    if (this.count === 0) return;
    this.offsets.fill(0);
    this.count = 0;
  }

  private grow(): void {
    const keys = this.keys;
    const offsets = this.offsets;
    this.keys = new Int32Array(keys.length * 2);
    this.offsets = new Int32Array(offsets.length * 2);
    this.count = 0;
    for (let i = 0; i < offsets.length; i++) if (offsets[i] !== 0) this.set(keys[2 * i], keys[2 * i + 1], offsets[i] - 1);
  }
}

/** Decoded SHARED collections kept per buffer; cleared when it holds this many. */
const DECODED_CACHE_LIMIT = 1 << 16;

interface RecordType {
  readonly id: number;
  readonly descriptor: string;
  readonly keys: readonly string[];
  readonly proto: object;
  readonly defaults: Readonly<Record<string, unknown>>;
}

interface RecordProto {
  _keys?: string[];
  _defaultValues?: Record<string, unknown>;
  constructor: { displayName?: string; name?: string };
}

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/**
 * Encodes and decodes states (Immutable values and primitives) as bytes.
 *
 * @example
 *   const codec = new StateCodec();
 *   const sink = new ByteSink();
 *   const at = codec.encode(state, sink);
 *   const copy = codec.decode(sink.bytes, at); // Immutable.is(copy, state) === true
 */
export class StateCodec {
  private readonly byProto = new Map<object, RecordType>();
  private readonly byId = new Map<number, RecordType>();
  private readonly newDescriptors: string[] = [];
  private sink: ByteSink = new ByteSink(16);
  // Decoder position.
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  /** SHARED collections decoded from `cacheOf`, by offset. */
  private readonly decoded = new Map<number, unknown>();
  private cacheOf: Uint8Array | null = null;
  private readonly fp = new Uint32Array(2);

  /** Registers every Record class found in `value` (walks the whole value). */
  learnFrom(value: unknown): void {
    if (value === null || typeof value !== 'object') return;
    if (isRecord(value)) {
      const t = this.typeOf(value);
      const rec = value as unknown as { get(k: string): unknown };
      for (const k of t.keys) this.learnFrom(rec.get(k));
      return;
    }
    (value as { forEach(fn: (v: unknown, k: unknown) => void): void }).forEach((v, k) => {
      this.learnFrom(k);
      this.learnFrom(v);
    });
  }

  /** Descriptors of the Record types met since the last call (to pass to other threads). */
  takeNewDescriptors(): string[] {
    return this.newDescriptors.splice(0);
  }

  /** Learns Record types met by other threads, as anonymous Record classes where unknown here. */
  learnDescriptors(descriptors: readonly string[]): void {
    for (const d of descriptors) {
      const id = hash32(d);
      if (this.byId.has(id)) continue;
      const open = d.lastIndexOf('{');
      const name = d.slice(0, open);
      const inner = d.slice(open + 1, -1);
      const keys = inner === '' ? [] : inner.split(',');
      const defaults: Record<string, null> = {};
      for (const k of keys) defaults[k] = null;
      const factory = IRecord(defaults, name);
      const sample = factory();
      this.byId.set(id, { id, descriptor: d, keys, proto: Object.getPrototypeOf(sample) as object, defaults });
    }
  }

  private typeOf(rec: object): RecordType {
    const proto = Object.getPrototypeOf(rec) as RecordProto;
    const known = this.byProto.get(proto);
    if (known !== undefined) return known;
    const keys = proto._keys ?? [];
    const name = proto.constructor.displayName ?? proto.constructor.name ?? 'Record';
    const descriptor = `${name}{${keys.join(',')}}`;
    const id = hash32(descriptor);
    const other = this.byId.get(id);
    if (other !== undefined && other.descriptor !== descriptor) {
      throw new Error(`Record types ${descriptor} and ${other.descriptor} have the same 32-bit codec id; rename one`);
    }
    const t: RecordType = { id, descriptor, keys, proto, defaults: proto._defaultValues ?? {} };
    this.byProto.set(proto, t);
    if (other === undefined || !this.isLearnedAnonymously(other)) {
      if (other === undefined) this.newDescriptors.push(descriptor);
      this.byId.set(id, other ?? t);
    } else {
      // The real class replaces an anonymous stand-in learned from another thread.
      this.byId.set(id, t);
    }
    return t;
  }

  private isLearnedAnonymously(t: RecordType): boolean {
    return !this.byProto.has(t.proto);
  }

  /** Appends the encoding of `value` to `sink`; returns the offset it starts at. */
  encode(value: unknown, sink: ByteSink): number {
    const at = sink.length;
    this.sink = sink;
    // The root itself is not interned: a state is written once per level.
    this.putCollectionOrValue(value, false);
    return at;
  }

  private byte(b: number): void {
    const s = this.sink;
    if (s.length === s.bytes.length) s.reserve(1);
    s.bytes[s.length++] = b;
  }

  private varint(n: number): void {
    // n is a non-negative integer below 2^53.
    while (n >= 0x80) {
      this.byte((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.byte(n);
  }

  private put(v: unknown): void {
    this.putCollectionOrValue(v, true);
  }

  /**
   * Writes `v`; a collection already written to this sink (by fingerprint and Record type)
   * becomes a reference when `intern` is set.
   */
  private putCollectionOrValue(v: unknown, intern: boolean): void {
    if (intern && typeof v === 'object' && v !== null) {
      fingerprintInto(v, this.fp); // cached on the collection: usually a field read
      const hi = isRecord(v) ? (this.fp[0] ^ this.typeOf(v).id) | 0 : this.fp[0] | 0;
      const lo = this.fp[1] | 0;
      const s = this.sink;
      const earlier = s.interned.get(hi, lo);
      if (earlier >= 0) {
        s.bytes[earlier] |= SHARED;
        this.byte(T_REF);
        this.varint(earlier);
        return;
      }
      s.interned.set(hi, lo, s.length);
    }
    switch (typeof v) {
      case 'number':
        if (Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER / 2) {
          if (v >= SMALL_MIN && v <= SMALL_MAX) {
            this.byte(T_SMALL + v - SMALL_MIN);
          } else {
            this.byte(T_INT);
            this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
          }
        } else {
          this.byte(T_FLOAT);
          const s = this.sink;
          s.reserve(8);
          new DataView(s.bytes.buffer, s.bytes.byteOffset).setFloat64(s.length, v, true);
          s.length += 8;
        }
        return;
      case 'string':
        this.byte(T_STRING);
        this.varint(v.length);
        for (let i = 0; i < v.length; i++) this.varint(v.charCodeAt(i));
        return;
      case 'boolean':
        this.byte(v ? T_TRUE : T_FALSE);
        return;
      case 'object': {
        if (v === null) {
          this.byte(T_NULL);
          return;
        }
        if (isRecord(v)) {
          const t = this.typeOf(v);
          this.byte(T_RECORD);
          const s = this.sink;
          s.reserve(4);
          s.bytes[s.length] = t.id & 0xff;
          s.bytes[s.length + 1] = (t.id >>> 8) & 0xff;
          s.bytes[s.length + 2] = (t.id >>> 16) & 0xff;
          s.bytes[s.length + 3] = t.id >>> 24;
          s.length += 4;
          // Immutable's field storage: a List by key index, undefined for a default.
          const values = (v as unknown as { _values: { get(i: number): unknown } })._values;
          for (let i = 0; i < t.keys.length; i++) {
            const x = values.get(i);
            this.put(x === undefined ? t.defaults[t.keys[i]] : x);
          }
          return;
        }
        const coll = v as unknown as { size: number; forEach(fn: (val: unknown, key: unknown) => void): void };
        let keyed = false;
        if (isList(v)) this.byte(T_LIST);
        else if (isStack(v)) this.byte(T_STACK);
        else if (isMap(v)) {
          keyed = true;
          this.byte(isOrdered(v) ? T_ORDERED_MAP : T_MAP);
        } else if (isSet(v)) this.byte(isOrdered(v) ? T_ORDERED_SET : T_SET);
        else throw new TypeError('cannot encode a value that is not an Immutable collection or a primitive');
        this.varint(coll.size);
        if (isList(v)) {
          const list = v as unknown as List<unknown>;
          for (let i = 0; i < list.size; i++) this.put(list.get(i));
          return;
        }
        coll.forEach((val, key) => {
          if (keyed) this.put(key);
          this.put(val);
        });
        return;
      }
      default:
        throw new TypeError(`cannot encode ${typeof v}`);
    }
  }

  /** Decodes the value encoded at `offset` of `bytes`. */
  decode(bytes: Uint8Array, offset: number): unknown {
    if (bytes !== this.cacheOf) this.forgetDecoded(bytes);
    this.buf = bytes;
    this.pos = offset;
    return this.get();
  }

  /**
   * Drops the decoded collections kept for references. Call it when the buffer last decoded
   * from is rewritten in place (a frontier level reused); a different buffer does it itself.
   */
  forgetDecoded(next: Uint8Array | null = null): void {
    this.decoded.clear();
    this.cacheOf = next;
  }

  private readVarint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.pos++];
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
    }
  }

  private get(): unknown {
    const at = this.pos;
    const tag = this.buf[this.pos++];
    if (tag >= T_SMALL) return tag - T_SMALL + SMALL_MIN;
    if (tag === T_REF) return this.getRef();
    if ((tag & SHARED) !== 0) {
      const v = this.getTagged(tag & ~SHARED);
      if (this.decoded.size >= DECODED_CACHE_LIMIT) this.decoded.clear();
      this.decoded.set(at, v);
      return v;
    }
    return this.getTagged(tag);
  }

  /** The collection a T_REF points at: kept from an earlier decode, or decoded now. */
  private getRef(): unknown {
    const target = this.readVarint();
    const known = this.decoded.get(target);
    if (known !== undefined) return known;
    const back = this.pos;
    this.pos = target;
    const v = this.get();
    this.pos = back;
    return v;
  }

  private getTagged(tag: number): unknown {
    switch (tag) {
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT: {
        const z = this.readVarint();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case T_FLOAT: {
        const b = this.buf;
        const v = new DataView(b.buffer, b.byteOffset).getFloat64(this.pos, true);
        this.pos += 8;
        return v;
      }
      case T_STRING: {
        const n = this.readVarint();
        let s = '';
        for (let i = 0; i < n; i++) s += String.fromCharCode(this.readVarint());
        return s;
      }
      case T_RECORD: {
        const b = this.buf;
        const p = this.pos;
        const id = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
        this.pos += 4;
        const t = this.byId.get(id);
        if (t === undefined) throw new Error(`unknown Record type id ${id} (a Record class this thread has not met)`);
        const values = new Array<unknown>(t.keys.length);
        for (let i = 0; i < t.keys.length; i++) {
          const v = this.get();
          values[i] = v === t.defaults[t.keys[i]] ? undefined : v;
        }
        const rec = Object.create(t.proto) as { _values: unknown; __ownerID: undefined; __mmValid?: true };
        rec._values = markValid(List(values));
        rec.__ownerID = undefined;
        rec.__mmValid = true;
        return rec;
      }
      case T_LIST:
      case T_STACK:
      case T_SET:
      case T_ORDERED_SET: {
        const n = this.readVarint();
        const items = new Array<unknown>(n);
        for (let i = 0; i < n; i++) items[i] = this.get();
        const c = tag === T_LIST ? List(items) : tag === T_STACK ? Stack(items) : tag === T_SET ? ISet(items) : OrderedSet(items);
        return markValid(c);
      }
      case T_MAP:
      case T_ORDERED_MAP: {
        const n = this.readVarint();
        const entries = new Array<[unknown, unknown]>(n);
        for (let i = 0; i < n; i++) {
          const k = this.get();
          entries[i] = [k, this.get()];
        }
        return markValid(tag === T_MAP ? IMap(entries) : OrderedMap(entries));
      }
      default:
        throw new Error(`corrupt state encoding: tag ${tag} at byte ${this.pos - 1}`);
    }
  }
}

function markValid<T>(c: T): T {
  (c as { __mmValid?: true }).__mmValid = true;
  return c;
}
