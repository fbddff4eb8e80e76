// Shapes: the fixed layout of an Immutable value as a run of integer slots, so a state can
// be stored, hashed and changed as an Int32Array (the vector engine, src/explore/vector.ts).
//
// A shape is inferred from a value (the initial state): a primitive is one slot (its code,
// codes.ts); a List of n items is its items' slots in order; a Record is its fields' slots
// in key order. A value encodes under a shape when it has that shape: a List of the same
// size, a Record of the same class, primitives where primitives were. Anything else — a Map
// or Set, a List that grows, a float — has no fixed layout: `NotVectorizableError` says
// where, and the search then runs on Immutable values instead.
import { List, isList, isRecord } from 'immutable';
import { NoCodeError, StringCodes, codeOf, valueOf } from './codes.ts';
import { smallListArray } from './fingerprint.ts';

/** A value's layout: a primitive slot, a fixed-size List, or a Record of one class. */
export type Shape = PrimShape | ListShape | RecordShape;
export interface PrimShape {
  readonly kind: 'prim';
  readonly width: 1;
}
export interface ListShape {
  readonly kind: 'list';
  readonly items: readonly Shape[];
  /** Slot offset of each item within the list. */
  readonly offsets: readonly number[];
  readonly width: number;
}
export interface RecordShape {
  readonly kind: 'record';
  /** The Record class's prototype (instances made by decode share it). */
  readonly proto: RecordProto;
  readonly name: string;
  readonly keys: readonly string[];
  readonly fields: readonly Shape[];
  /** Slot offset of each field within the record. */
  readonly offsets: readonly number[];
  readonly width: number;
}

/** What Immutable keeps on a Record class's prototype (and the tracking prototypes built on it). */
export interface RecordProto {
  readonly _keys: readonly string[];
  readonly _defaultValues: { readonly [k: string]: unknown };
  readonly _indices: { readonly [k: string]: number };
  /** Set on tracking prototypes (src/model/tracking.ts): the class prototype they extend. */
  readonly __mmBase?: RecordProto;
}

/** A Record instance as the codec reads it (Immutable's field storage). */
interface RecordInstance {
  readonly _values: { readonly size: number; get(i: number): unknown; readonly _origin?: number; readonly _tail?: { readonly array: unknown[] } | null };
}

const PRIM: PrimShape = { kind: 'prim', width: 1 };

/** A state (or part) that cannot be stored as a vector of slots. */
export class NotVectorizableError extends Error {
  override name = 'NotVectorizableError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path || 'the state'}: ${reason}`);
  }
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  if (isList(v)) return `a List of ${(v as List<unknown>).size}`;
  if (isRecord(v)) return `a ${recordName(Object.getPrototypeOf(v) as RecordProto)} Record`;
  const ctor = (v as object).constructor?.name;
  return ctor ? `a ${ctor}` : 'an object';
}

function recordName(proto: RecordProto): string {
  const base = proto.__mmBase ?? proto;
  const ctor = (base as unknown as { constructor?: { displayName?: string; name?: string } }).constructor;
  return ctor?.displayName || ctor?.name || 'Record';
}

function baseProto(v: object): RecordProto {
  const p = Object.getPrototypeOf(v) as RecordProto;
  return p.__mmBase ?? p;
}

function fieldValue(rec: RecordInstance, proto: RecordProto, i: number): unknown {
  const direct = smallListArray(rec._values as never);
  const x = direct !== null ? direct[i] : rec._values.get(i);
  return x === undefined ? proto._defaultValues[proto._keys[i]] : x;
}

function seedDefaults(proto: RecordProto, strings: StringCodes): void {
  for (const k of proto._keys) {
    const d = proto._defaultValues[k];
    if (typeof d === 'string') strings.seed(d);
  }
}

/**
 * The shape of `v`, seeding `strings` with the strings met (in a fixed order).
 * Throws NotVectorizableError naming the first part without a fixed layout.
 */
export function shapeOf(v: unknown, strings: StringCodes, path = ''): Shape {
  if (v === null || typeof v !== 'object') {
    // Seeded before its code is asked for: asking first would give it a hashed code.
    if (typeof v === 'string') strings.seed(v);
    try {
      codeOf(v, strings);
    } catch (e) {
      throw new NotVectorizableError(path, e instanceof NoCodeError ? e.message : String(e));
    }
    return PRIM;
  }
  if (isRecord(v)) {
    const proto = baseProto(v);
    seedDefaults(proto, strings);
    const keys = proto._keys;
    const fields: Shape[] = [];
    const offsets: number[] = [];
    let width = 0;
    for (let i = 0; i < keys.length; i++) {
      const f = shapeOf(fieldValue(v as unknown as RecordInstance, proto, i), strings, path ? `${path}.${keys[i]}` : keys[i]);
      offsets.push(width);
      fields.push(f);
      width += f.width;
    }
    return { kind: 'record', proto, name: recordName(proto), keys, fields, offsets, width };
  }
  if (isList(v)) {
    const list = v as List<unknown>;
    const items: Shape[] = [];
    const offsets: number[] = [];
    let width = 0;
    for (let i = 0; i < list.size; i++) {
      const s = shapeOf(list.get(i), strings, `${path}[${i}]`);
      offsets.push(width);
      items.push(s);
      width += s.width;
    }
    return { kind: 'list', items, offsets, width };
  }
  throw new NotVectorizableError(path, `${kindOf(v)}, which has no fixed layout of slots (vector states hold Records, fixed-size Lists and primitives)`);
}

/** Thrown by the fast encoder; `explainMismatch` finds the path. */
const MISMATCH = new Error('shape mismatch');

/**
 * Writes the slots of `v` under `shape` into `out` from `pos`; returns the position after.
 * Throws NotVectorizableError (with the path, under `path`) when `v` does not fit.
 */
export function encodeValue(shape: Shape, v: unknown, out: Int32Array, pos: number, strings: StringCodes, path: string): number {
  try {
    return encodeFast(shape, v, out, pos, strings);
  } catch (e) {
    if (e !== MISMATCH && !(e instanceof NoCodeError)) throw e;
    throw explainMismatch(shape, v, strings, path);
  }
}

function encodeFast(shape: Shape, v: unknown, out: Int32Array, pos: number, strings: StringCodes): number {
  if (shape.kind === 'prim') {
    out[pos] = codeOf(v, strings);
    return pos + 1;
  }
  if (v === null || typeof v !== 'object') throw MISMATCH;
  if (shape.kind === 'record') {
    const p = Object.getPrototypeOf(v) as RecordProto;
    if (p !== shape.proto && p.__mmBase !== shape.proto) throw MISMATCH;
    const rec = v as unknown as RecordInstance;
    const direct = smallListArray(rec._values as never);
    const fields = shape.fields;
    for (let i = 0; i < fields.length; i++) {
      let x = direct !== null ? direct[i] : rec._values.get(i);
      if (x === undefined) x = shape.proto._defaultValues[shape.keys[i]];
      pos = encodeFast(fields[i], x, out, pos, strings);
    }
    return pos;
  }
  if (!isList(v)) throw MISMATCH;
  const list = v as unknown as { size: number; get(i: number): unknown };
  const items = shape.items;
  if (list.size !== items.length) throw MISMATCH;
  const direct = smallListArray(list as never);
  for (let i = 0; i < items.length; i++) pos = encodeFast(items[i], direct !== null ? direct[i] : list.get(i), out, pos, strings);
  return pos;
}

/** Why `v` does not fit `shape`, with the path to the first difference. */
function explainMismatch(shape: Shape, v: unknown, strings: StringCodes, path: string): NotVectorizableError {
  if (shape.kind === 'prim') {
    try {
      codeOf(v, strings);
    } catch (e) {
      return new NotVectorizableError(path, e instanceof NoCodeError ? `${e.message}` : String(e));
    }
    return new NotVectorizableError(path, 'unexpected value');
  }
  if (shape.kind === 'record') {
    if (v === null || typeof v !== 'object' || !isRecord(v)) return new NotVectorizableError(path, `${kindOf(v)} where the initial state had a ${shape.name} Record`);
    if (baseProto(v) !== shape.proto) return new NotVectorizableError(path, `${kindOf(v)} where the initial state had a ${shape.name} Record`);
    for (let i = 0; i < shape.fields.length; i++) {
      const x = fieldValue(v as unknown as RecordInstance, shape.proto, i);
      const sub = path ? `${path}.${shape.keys[i]}` : shape.keys[i];
      try {
        encodeFast(shape.fields[i], x, new Int32Array(shape.fields[i].width), 0, strings);
      } catch {
        return explainMismatch(shape.fields[i], x, strings, sub);
      }
    }
    return new NotVectorizableError(path, 'unexpected value');
  }
  if (v === null || typeof v !== 'object' || !isList(v)) return new NotVectorizableError(path, `${kindOf(v)} where the initial state had a List of ${shape.items.length}`);
  const list = v as List<unknown>;
  if (list.size !== shape.items.length) return new NotVectorizableError(path, `a List of ${list.size} where the initial state had ${shape.items.length} items (vector states need Lists of a fixed size)`);
  for (let i = 0; i < shape.items.length; i++) {
    try {
      encodeFast(shape.items[i], list.get(i), new Int32Array(shape.items[i].width), 0, strings);
    } catch {
      return explainMismatch(shape.items[i], list.get(i), strings, `${path}[${i}]`);
    }
  }
  return new NotVectorizableError(path, 'unexpected value');
}

/** Reads values back from slots; `pos` advances as it reads. */
export class Decoder {
  pos = 0;
  constructor(
    private readonly strings: StringCodes,
    private vec: Int32Array = new Int32Array(0),
  ) {}

  /** Starts reading `vec` at `pos`. */
  at(vec: Int32Array, pos: number): this {
    this.vec = vec;
    this.pos = pos;
    return this;
  }

  /** The value of `shape` at the current position (Records made with their class's prototype, or `proto`). */
  value(shape: Shape, proto?: object): unknown {
    if (shape.kind === 'prim') return valueOf(this.vec[this.pos++], this.strings);
    if (shape.kind === 'list') {
      const items = new Array<unknown>(shape.items.length);
      for (let i = 0; i < items.length; i++) items[i] = this.value(shape.items[i]);
      return listOf(items);
    }
    const vals = new Array<unknown>(shape.fields.length);
    const defaults = shape.proto._defaultValues;
    for (let i = 0; i < vals.length; i++) {
      const x = this.value(shape.fields[i]);
      // As Immutable's Record constructor stores them: a field at its default is undefined.
      vals[i] = x === defaults[shape.keys[i]] ? undefined : x;
    }
    return makeRecord(proto ?? shape.proto, listOf(vals));
  }
}

/** Immutable's own List of one element: its prototype, its tail node's class and its level. */
const SMALL = List([0]) as unknown as { _level: number; _tail: { constructor: new (array: unknown[], ownerID: undefined) => object } };
const LIST_PROTO = Object.getPrototypeOf(SMALL) as object;
const VNode = SMALL._tail.constructor;
/** Immutable's List keeps up to this many elements in its tail node alone. */
const TAIL_SIZE = 32;

/**
 * The List of `items` (which it takes over), built as Immutable's List(array) builds one of
 * fewer than 32 elements — one tail node — without copying the array through a Seq first:
 * decoding builds a List per List and Record of every state it decodes.
 */
export function listOf(items: unknown[]): List<unknown> {
  if (items.length === 0 || items.length >= TAIL_SIZE) return List(items);
  const list = Object.create(LIST_PROTO) as Record<string, unknown>;
  list.size = items.length;
  list._origin = 0;
  list._capacity = items.length;
  list._level = SMALL._level;
  list._root = undefined;
  list._tail = new VNode(items, undefined);
  list.__ownerID = undefined;
  list.__hash = undefined;
  list.__altered = false;
  return list as unknown as List<unknown>;
}

/** A Record instance of prototype `proto` holding `values` (Immutable's own makeRecord). */
export function makeRecord(proto: object, values: List<unknown>): unknown {
  const r = Object.create(proto) as { _values: List<unknown>; __ownerID: unknown };
  r._values = values;
  r.__ownerID = undefined;
  return r;
}
