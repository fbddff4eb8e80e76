// Canonical 64-bit fingerprints of Immutable.js states, stable across worker threads and runs.
//
// Immutable's own hashCode() is 31 bits and realm-specific, fine for buckets but wrong as a
// state identity (STYLE.md rule 3). A fingerprint here is two independent 32-bit lanes
// computed with Math.imul only, so the same value hashes identically in every thread and
// process. Records, Lists, Stacks and the Ordered* collections hash in order; Maps and Sets
// hash independently of insertion order (a commutative sum of mixed entry hashes).
//
// Immutable shares structure between a state and its successor, so the hash of every
// collection is cached in a WeakMap keyed by the collection object: hashing a successor costs
// only the path the step changed.
//
// Fingerprinting also validates: it rejects everything validate.ts rejects (plain objects,
// arrays, functions, lazy Seqs, undefined, NaN, …), so a collection carrying a cached
// fingerprint is known to be valid and a new state need not be walked twice. It throws a bare
// TypeError; callers that want the path to the bad field run validateState() on failure.
import {
  isImmutable,
  isSeq,
  isList,
  isMap,
  isOrdered,
  isRecord,
  isSet,
  isStack,
} from 'immutable';

/** A 64-bit state identity: `hi` and `lo` are unsigned 32-bit halves. */
export interface Fingerprint {
  readonly hi: number;
  readonly lo: number;
}

/** Tags keep values of different kinds apart (1 vs "1" vs true vs List([1])). */
const TAG_NULL = 0x1b873593;
const TAG_FALSE = 0x2f3a2b1d;
const TAG_TRUE = 0x6b43a9b5;
const TAG_INT = 0x165667b1;
const TAG_FLOAT = 0x27d4eb2f;
const TAG_STRING = 0x7feb352d;
const TAG_LIST = 0x4cf5ad43;
const TAG_MAP = 0x2545f491;
const TAG_SET = 0x3c6ef372;
const TAG_RECORD = 0x5bd1e995;
const TAG_ORDERED_MAP = 0x68e31da4;
const TAG_ORDERED_SET = 0x1d8e4e27;
const TAG_STACK = 0x0d6f9c29;

// Lane state written by the hashing functions, to avoid allocating a pair per node.
let outHi = 0;
let outLo = 0;

// The cache lives on the collection object itself (two hidden fields), like Immutable's own
// `__hash`: a WeakMap holding millions of entries makes V8's garbage collector crawl.
interface Cached {
  __mmfpHi?: number;
  __mmfpLo?: number;
}
const f64 = new Float64Array(1);
const u32OfF64 = new Uint32Array(f64.buffer);

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** murmur3 finaliser: a bijective avalanche on 32 bits. */
export function fmixA(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** A second, different bijective avalanche (Wellons' lowbias32) for the other lane. */
export function fmixB(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h;
}

// Ordered absorption of one 64-bit word (kHi, kLo) into the running pair (a, b). The two
// lanes absorb both halves in different orders with different constants and cross-feed, so
// the pair behaves as a 64-bit hash rather than two copies of one 32-bit hash.
let accA = 0;
let accB = 0;

function absorb(kHi: number, kLo: number): void {
  let k1 = Math.imul(kLo ^ rotl(kHi, 11), 0xcc9e2d51);
  k1 = Math.imul(rotl(k1, 15), 0x1b873593);
  accA ^= k1;
  accA = (Math.imul(rotl(accA, 13), 5) + 0xe6546b64) | 0;
  let k2 = Math.imul(kHi ^ rotl(kLo, 19), 0x9e3779b1);
  k2 = Math.imul(rotl(k2, 17), 0x85ebca77);
  accB ^= k2 ^ (accA >>> 7);
  accB = (Math.imul(rotl(accB, 11), 9) + 0x27d4eb2f) | 0;
}

function finish(tag: number, size: number): void {
  finishWith(accA, accB, tag, size);
}

function finishWith(a0: number, b0: number, tag: number, size: number): void {
  const a = fmixA(a0 ^ tag ^ Math.imul(size, 0x61c88647));
  const b = fmixB(b0 ^ rotl(tag, 16) ^ size ^ a);
  outHi = fmixA(a ^ rotl(b, 7)) >>> 0;
  outLo = (b ^ rotl(outHi, 13)) >>> 0;
}

function hashString(s: string): void {
  let a = 0x811c9dc5 ^ s.length;
  let b = 0x01000193 ^ Math.imul(s.length, 0x9e3779b1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(rotl(b, 5) ^ c, 0x5bd1e995);
  }
  finishWith(a, b, TAG_STRING, s.length);
}

function hashNumber(n: number): void {
  if (Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff) {
    outHi = fmixA(n ^ TAG_INT) >>> 0;
    outLo = fmixB(((n + TAG_INT) | 0) ^ rotl(outHi, 9)) >>> 0;
    return;
  }
  if (n !== n) throw new TypeError('cannot fingerprint NaN');
  f64[0] = n === 0 ? 0 : n; // -0 and 0 are the same value, as Immutable.is says
  finishWith(fmixA(u32OfF64[0] ^ 0x27d4eb2f), fmixB(u32OfF64[1] ^ rotl(u32OfF64[0], 16)), TAG_FLOAT, 8);
}

// Record field names, per Record class, hashed once.
const recordKeys = new WeakMap<object, { keys: string[]; keyHash: number[] }>();

function keysOfRecord(rec: object): { keys: string[]; keyHash: number[] } {
  const proto = Object.getPrototypeOf(rec) as { _keys?: string[] };
  let entry = recordKeys.get(proto);
  if (entry === undefined) {
    const keys = proto._keys ?? Object.keys((rec as { toObject(): object }).toObject());
    const keyHash: number[] = [];
    for (const k of keys) {
      hashString(k);
      keyHash.push(outHi, outLo);
    }
    entry = { keys, keyHash };
    recordKeys.set(proto, entry);
  }
  return entry;
}

/** The parts of an Immutable List read here (its public get, and the trie's tail). */
interface ImmutableList {
  readonly size: number;
  get(i: number): unknown;
  readonly _origin?: number;
  readonly _tail?: { readonly array: unknown[] } | null;
}

/**
 * The array holding a List's items when the List is small (at most 32 items, not shifted):
 * Immutable then keeps them all in the trie's tail node. Reading it directly skips a
 * bounds check and a trie walk per item; anything else goes through `get`.
 */
export function smallListArray(list: ImmutableList): unknown[] | null {
  return list.size <= 32 && list._origin === 0 && list._tail ? list._tail.array : null;
}

type Keyed = { forEach(fn: (v: unknown, k: unknown) => unknown): number; size: number };

function hashCollection(v: object): void {
  // Children are hashed between absorptions: hashValue keeps accA/accB intact (primitives
  // do not touch them; collections save and restore them), so no array of parts is needed.
  if (isRecord(v)) {
    const { keys, keyHash } = keysOfRecord(v);
    // Read Immutable's field storage directly (a List by key index, undefined for a field
    // at its default): Record.get would check and look up the key for every field.
    const rec = v as unknown as { _values: ImmutableList; _defaultValues: Record<string, unknown> };
    const values = rec._values;
    const direct = smallListArray(values);
    accA = 0x3c6ef372;
    accB = 0xa54ff53a;
    for (let i = 0; i < keys.length; i++) {
      absorb(keyHash[2 * i], keyHash[2 * i + 1]);
      const x = direct !== null ? direct[i] : values.get(i);
      hashValue(x === undefined ? rec._defaultValues[keys[i]] : x);
      absorb(outHi, outLo);
    }
    finish(TAG_RECORD, keys.length);
    return;
  }
  const coll = v as Keyed;
  const size = coll.size;
  if (isSeq(v)) throw new TypeError('cannot fingerprint a lazy Seq');
  if (isList(v)) {
    const list = v as unknown as ImmutableList;
    const direct = smallListArray(list);
    accA = 0x6a09e667;
    accB = 0xbb67ae85;
    for (let i = 0; i < size; i++) {
      hashValue(direct !== null ? direct[i] : list.get(i));
      absorb(outHi, outLo);
    }
    finish(TAG_LIST, size);
    return;
  }
  if (isOrdered(v) || isStack(v)) {
    // Stacks, OrderedMaps, OrderedSets: order is part of the value.
    const tag = isStack(v) ? TAG_STACK : isMap(v) ? TAG_ORDERED_MAP : TAG_ORDERED_SET;
    const keyed = isMap(v);
    accA = 0x6a09e667;
    accB = 0xbb67ae85;
    coll.forEach((val, key) => {
      if (keyed) {
        hashValue(key);
        absorb(outHi, outLo);
      }
      hashValue(val);
      absorb(outHi, outLo);
    });
    finish(tag, size);
    return;
  }
  if (isMap(v) || isSet(v)) {
    // Unordered: a commutative sum of independently mixed entries.
    const keyed = isMap(v);
    const tag = keyed ? TAG_MAP : TAG_SET;
    let sumA = 0;
    let sumB = 0;
    let xorB = 0;
    coll.forEach((val, key) => {
      let kHi = 0;
      let kLo = 0;
      if (keyed) {
        hashValue(key);
        kHi = outHi;
        kLo = outLo;
      }
      hashValue(val);
      accA = 0x510e527f;
      accB = 0x9b05688c;
      if (keyed) absorb(kHi, kLo);
      absorb(outHi, outLo);
      finish(tag, 1);
      sumA = (sumA + outHi) | 0;
      sumB = (sumB + outLo) | 0;
      xorB ^= fmixB(outHi ^ outLo);
    });
    accA = sumA;
    accB = sumB ^ rotl(xorB, 3);
    finish(tag, size);
    return;
  }
  throw new TypeError(`cannot fingerprint ${describeKind(v)}`);
}

function describeKind(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  const name = (v as object).constructor?.name;
  return name ? `a ${name}` : 'an object';
}

/** Hashes any state value into (outHi, outLo); collections are cached by identity. */
function hashValue(v: unknown): void {
  switch (typeof v) {
    case 'number':
      hashNumber(v);
      return;
    case 'string':
      hashString(v);
      return;
    case 'boolean':
      outHi = v ? TAG_TRUE : TAG_FALSE;
      outLo = v ? 0x2545f491 : 0x3c6ef372;
      return;
    case 'object': {
      if (v === null) {
        outHi = TAG_NULL;
        outLo = 0x68e31da4;
        return;
      }
      const c = v as Cached;
      if (c.__mmfpHi !== undefined) {
        outHi = c.__mmfpHi;
        outLo = c.__mmfpLo!;
        return;
      }
      const saveA = accA;
      const saveB = accB;
      hashCollection(v);
      accA = saveA;
      accB = saveB;
      c.__mmfpHi = outHi;
      c.__mmfpLo = outLo;
      return;
    }
    default:
      throw new TypeError(`cannot fingerprint ${describeKind(v)}`);
  }
}

/**
 * The fingerprint of a state, written into `out[0]` (high half) and `out[1]` (low half).
 * Never returns (0, 0): that pair marks an empty slot in the seen set.
 *
 * @example
 *   const out = new Uint32Array(2);
 *   fingerprintInto(Map({ a: 1 }), out);
 */
export function fingerprintInto(v: unknown, out: Uint32Array): void {
  hashValue(v);
  out[0] = outHi;
  out[1] = outHi === 0 && outLo === 0 ? 1 : outLo;
}

const scratch = new Uint32Array(2);

/** The fingerprint of a state as an object (convenient outside hot loops). */
export function fingerprint(v: unknown): Fingerprint {
  fingerprintInto(v, scratch);
  return { hi: scratch[0], lo: scratch[1] };
}

/** The fingerprint as a 16-digit hexadecimal string, for display and JSON. */
export function fingerprintHex(fp: Fingerprint): string {
  return fp.hi.toString(16).padStart(8, '0') + fp.lo.toString(16).padStart(8, '0');
}

/** The fingerprint as one bigint (tests and sets of fingerprints). */
export function fingerprintBig(v: unknown): bigint {
  fingerprintInto(v, scratch);
  return (BigInt(scratch[0]) << 32n) | BigInt(scratch[1]);
}

/** True when `v` is a value fingerprinting understands: a primitive or an Immutable collection. */
export function isHashable(v: unknown): boolean {
  return v === null || typeof v !== 'object' || isImmutable(v);
}
