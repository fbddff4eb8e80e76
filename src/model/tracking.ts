// Read and write tracking: which slots of a vector state a piece of model code (a step, a
// guard, an invariant) read, and which it set, so its result can be memoised on exactly what
// it depends on (src/model/memo.ts).
//
// Slots are those of the state's layout (src/state/layout.ts): every primitive inside the
// shared state and the locals — a Record's field, a List's element, at any depth — is one
// slot. Model code sees ordinary Immutable Records and Lists; the ones decoded from the state
// for a tracked run (`trackedValue`) are instances of *tracking prototypes* that extend their
// class's prototype and know where in the state they live (`__mmAt`, their shape):
//   - reading a primitive (`get` of a Record field or a List element, which every read path
//     of a Record, and `getIn`, `update`, `setIn`, `first`, `last` of a List go through)
//     reports its slot; reading a Record or List inside reports nothing by itself — what is
//     read of it reports itself;
//   - any other method of a List (iteration, `map`, `equals`, `toJS`, `push`, `hashCode`, …)
//     reports a read of every slot of the List: more than necessary, never less;
//   - `set` (of a Record field, or of a List element within its size), `clear` and
//     `__ensureOwner` — Immutable's only ways of deriving a Record, and the only derivation of
//     a List kept as such — carry the instance's place over and mark which of its fields or
//     elements were set (its *lineage*), even when the value set is the one it had.
// After the run `assignedSlots` walks a result: a part still at its own place keeps every
// slot not marked set (passed through), a part set is assigned (its value is a function of
// what was read), and a tracked part found at another place (moved) is assigned there and
// its source's slots count as read.
//
// What tracking does not see: code reading anything outside the state (a counter, the
// clock); the determinism checks catch most of that. Internal fields (`_values`, `_root`)
// are not read by model code.
import { List } from 'immutable';
import { makeRecord, type ListShape, type RecordProto, type RecordShape, type Shape } from '../state/layout.ts';

let active: Tracker | null = null;

/** The slots one run of model code read (in first-read order) and set. */
export class Tracker {
  private readMark: Uint32Array;
  private writeMark: Uint32Array;
  private epoch = 0;
  /** Slots read, in the order first read. */
  readonly reads: number[] = [];

  constructor(slots: number) {
    this.readMark = new Uint32Array(slots);
    this.writeMark = new Uint32Array(slots);
  }

  /** Starts recording (a new run: nothing read or written yet). */
  start(): void {
    if (++this.epoch === 0xffffffff) {
      this.readMark.fill(0);
      this.writeMark.fill(0);
      this.epoch = 1;
    }
    this.reads.length = 0;
    active = this;
  }

  /** Stops recording (model code run from now on is not tracked). */
  stop(): void {
    if (active === this) active = null;
  }

  read(slot: number): void {
    if (this.readMark[slot] !== this.epoch) {
      this.readMark[slot] = this.epoch;
      this.reads.push(slot);
    }
  }

  /** Reads slots `start` to `end` (exclusive), in order. */
  readRange(start: number, end: number): void {
    for (let x = start; x < end; x++) this.read(x);
  }

  write(slot: number): void {
    this.writeMark[slot] = this.epoch;
  }

  wasRead(slot: number): boolean {
    return this.readMark[slot] === this.epoch;
  }

  wasWritten(slot: number): boolean {
    return this.writeMark[slot] === this.epoch;
  }
}

/** Reports a read of `slot` to the active tracker, if any (for what the DSL reads itself: locks, program counters, primitive locals). */
export function trackRead(slot: number): void {
  if (active !== null) active.read(slot);
}

/** Reports a write of `slot` to the active tracker, if any (a lock the DSL takes or releases). */
export function trackWrite(slot: number): void {
  if (active !== null) active.write(slot);
}

/**
 * Runs `fn` with no tracker recording: for work done beside the model code a memo leaf
 * depends on (the footprint probe of partial-order reduction, which reads the state itself).
 */
export function untracked<T>(fn: () => T): T {
  const outer = active;
  active = null;
  try {
    return fn();
  } finally {
    active = outer;
  }
}

/** True while a tracker records. */
export function tracking(): boolean {
  return active !== null;
}

/** What a tracked Record or List carries besides Immutable's own fields. */
interface Tracked {
  /** The slot it starts at in the state. */
  __mmAt: number;
  /** Its shape there. */
  __mmShape: RecordShape | ListShape;
  /** Fields (elements) set along its lineage from the state: a bit mask, or flags for wide ones. */
  __mmSet?: number | boolean[];
  __ownerID: unknown;
}

/** Lineage marks with field `i` (of `width`) added. */
function withField(marks: number | boolean[] | undefined, i: number, width: number): number | boolean[] {
  if (width <= 30) return ((marks as number | undefined) ?? 0) | (1 << i);
  const out = marks === undefined ? new Array<boolean>(width).fill(false) : [...(marks as boolean[])];
  out[i] = true;
  return out;
}

function isSet(marks: number | boolean[] | undefined, i: number): boolean {
  if (marks === undefined) return false;
  return typeof marks === 'number' ? ((marks >>> i) & 1) === 1 : marks[i];
}

/** Every field (element) marked set. */
function allSet(width: number): number | boolean[] {
  return width <= 30 ? (width === 30 ? 0x3fffffff : (1 << width) - 1) : new Array<boolean>(width).fill(true);
}

/** Reports the read of part `i` of tracked `self`: its slot if it is a primitive not set along the lineage. */
function readPart(self: Tracked, i: number): void {
  if (isSet(self.__mmSet, i)) return;
  const shape = self.__mmShape;
  const part = shape.kind === 'record' ? shape.fields[i] : shape.items[i];
  if (part.kind === 'prim') active!.read(self.__mmAt + shape.offsets[i]);
}

/** Reports a read of every slot of tracked `self`. */
function readWhole(self: Tracked): void {
  active!.readRange(self.__mmAt, self.__mmAt + self.__mmShape.width);
}

interface RecordMethods {
  get(this: object, k: string, notSetValue?: unknown): unknown;
  set(this: object, k: string, v: unknown): unknown;
  clear(this: object): unknown;
  withMutations(this: object, fn: (mutable: unknown) => unknown): unknown;
  asMutable(this: object): unknown;
  __ensureOwner(this: object, ownerID: unknown): unknown;
}

/** A tracked Record instance: Immutable's fields plus its place and lineage. */
interface TrackedRecord extends Tracked {
  _values: unknown;
}

const recordProtos = new WeakMap<RecordProto, object>();

/** Carries `from`'s place (and, unless given, its marks) to `to`. */
function carry(from: Tracked, to: Tracked, marks: number | boolean[] | undefined = from.__mmSet): void {
  to.__mmAt = from.__mmAt;
  to.__mmShape = from.__mmShape;
  to.__mmSet = marks;
}

/**
 * The tracking prototype of Record class prototype `base`: its instances report reads of
 * their primitive fields, and carry their place and lineage through every derivation.
 *
 * The lineage marks are exact because every way Immutable derives a Record from another goes
 * through `set`, `clear` or `__ensureOwner` (its only callers of makeRecord), which carry the
 * marks over. Two departures from plain Records make them exact even for a set that changes
 * nothing: such a `set` returns a fresh copy instead of the record itself, and
 * `withMutations` returns the mutated copy even when nothing changed — otherwise
 * `s.set('x', 1)` on a state with x = 1 would be indistinguishable from not setting x, and a
 * copy discarded by the step could not be told from the result. Model code compares
 * states by value, so it cannot tell.
 */
export function trackingRecordPrototype(base: RecordProto): object {
  let p = recordProtos.get(base);
  if (p !== undefined) return p;
  const methods = base as unknown as RecordMethods;
  const get = methods.get;
  const set = methods.set;
  const clear = methods.clear;
  const ensureOwner = methods.__ensureOwner;
  const indices = base._indices;
  const width = base._keys.length;
  const proto = Object.create(base) as RecordMethods;
  Object.defineProperty(proto, '__mmBase', { value: base });
  proto.get = function (k, notSetValue) {
    const i = indices[k];
    if (typeof i === 'number' && active !== null) readPart(this as TrackedRecord, i);
    return get.call(this, k, notSetValue);
  };
  proto.set = function (k, v) {
    const i = indices[k];
    const r = set.call(this, k, v) as TrackedRecord;
    if (typeof i !== 'number') return r;
    const self = this as TrackedRecord;
    if (self.__ownerID !== undefined) {
      // A mutable copy inside withMutations: changed in place.
      self.__mmSet = withField(self.__mmSet, i, width);
      return r;
    }
    const out = r === self ? copyOf(proto, self) : r;
    carry(self, out, withField(self.__mmSet, i, width));
    return out;
  };
  proto.clear = function () {
    const r = clear.call(this) as TrackedRecord;
    carry(this as TrackedRecord, r, allSet(width));
    return r;
  };
  proto.__ensureOwner = function (ownerID) {
    const r = ensureOwner.call(this, ownerID) as TrackedRecord;
    if (r !== this) carry(this as TrackedRecord, r);
    return r;
  };
  proto.withMutations = function (fn) {
    const mutable = (this as RecordMethods).asMutable.call(this) as TrackedRecord;
    fn(mutable);
    // The copy even when nothing changed (its marks say what was set).
    return (mutable as unknown as RecordMethods).__ensureOwner.call(mutable, (this as TrackedRecord).__ownerID);
  };
  recordProtos.set(base, proto);
  return proto;
}

function copyOf(proto: object, r: TrackedRecord): TrackedRecord {
  const c = Object.create(proto) as TrackedRecord;
  c._values = r._values;
  c.__ownerID = undefined;
  return c;
}

/**
 * List methods that read only through `get` and derive only through `set` (checked against
 * Immutable 5's code): not reported as reading the whole List. Every other method is.
 * FIXME: a scan that stops early (`find`, `findIndex`, `some`, `includes`) counts as reading
 * every element, so a step that scans for the first free slot is keyed on all of them; a
 * tracked iteration reporting each element as it is visited would key it on the prefix only.
 */
const ELEMENTWISE = new Set(['constructor', 'get', 'set', 'has', 'first', 'last', 'getIn', 'hasIn', 'update', 'updateIn', 'setIn']);

/** A List's own fields, copied from a derived List to its tracked form. */
interface ListFields {
  size: number;
  _origin: unknown;
  _capacity: unknown;
  _level: unknown;
  _root: unknown;
  _tail: unknown;
  __ownerID: unknown;
  __hash: unknown;
  __altered: unknown;
}

let listProto: object | undefined;

/**
 * The tracking prototype of Lists: `get` reports the slot of a primitive element, `set` within
 * the List's size carries its place and lineage to the List it returns, and every other method
 * (every one Immutable has beyond ELEMENTWISE) reports a read of the whole List first.
 */
function trackingListPrototype(): object {
  if (listProto !== undefined) return listProto;
  const base = Object.getPrototypeOf(List()) as Record<string, unknown>;
  const proto = Object.create(base) as Record<string, unknown>;
  const get = base.get as (this: unknown, i: unknown, notSetValue?: unknown) => unknown;
  const set = base.set as (this: unknown, i: unknown, v: unknown) => unknown;
  // Every method on the chain but the element-wise ones reads the whole List.
  const seen = new Set<string | symbol>();
  for (let o: object | null = base; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Reflect.ownKeys(o)) {
      if (seen.has(k)) continue;
      seen.add(k);
      const d = Object.getOwnPropertyDescriptor(o, k)!;
      if (typeof d.value !== 'function' || (typeof k === 'string' && ELEMENTWISE.has(k))) continue;
      const f = d.value as (...args: unknown[]) => unknown;
      proto[k as string] = function (this: Tracked, ...args: unknown[]) {
        if (active !== null) readWhole(this);
        return f.apply(this, args);
      };
    }
  }
  proto.get = function (this: Tracked & ListFields, index: unknown, notSetValue?: unknown) {
    if (active !== null) {
      const i = elementIndex(this, index);
      if (i >= 0) readPart(this, i);
      // An index out of range reads nothing (the size is the layout's); one that is no integer may mean anything.
      else if (typeof index !== 'number' || !Number.isInteger(index)) readWhole(this);
    }
    return get.call(this, index, notSetValue);
  };
  proto.set = function (this: Tracked & ListFields, index: unknown, v: unknown) {
    const i = elementIndex(this, index);
    const r = set.call(this, index, v) as Tracked & ListFields;
    if (i < 0 || this.__ownerID !== undefined) {
      // Growing the List (it will have no layout) or a mutable copy: the result is untracked, so what it holds counts as read.
      if (active !== null) readWhole(this);
      return r;
    }
    const out = Object.create(proto) as Tracked & ListFields;
    copyList(r, out);
    carry(this, out, withField(this.__mmSet, i, this.size));
    return out;
  };
  listProto = proto;
  return proto;
}

/** Element `index` of a List of `size`, or -1 when it is none (negative indices count from the end, as Immutable's). */
function elementIndex(list: { size: number }, index: unknown): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) return -1;
  const i = index < 0 ? index + list.size : index;
  return i >= 0 && i < list.size ? i : -1;
}

function copyList(from: ListFields, to: ListFields): void {
  to.size = from.size;
  to._origin = from._origin;
  to._capacity = from._capacity;
  to._level = from._level;
  to._root = from._root;
  to._tail = from._tail;
  to.__ownerID = from.__ownerID;
  to.__hash = undefined;
  to.__altered = from.__altered;
}

/**
 * The value of `shape` at slot `at` of a state, as tracked instances at every level (`prim`
 * gives the value of a primitive slot). A primitive shape gives the plain value.
 *
 * @example
 *   const shared = trackedValue(sharedShape, 0, (x) => valueOf(vec[x], strings));
 */
export function trackedValue(shape: Shape, at: number, prim: (slot: number) => unknown): unknown {
  if (shape.kind === 'prim') return prim(at);
  if (shape.kind === 'list') {
    const items = new Array<unknown>(shape.items.length);
    for (let i = 0; i < items.length; i++) items[i] = trackedValue(shape.items[i], at + shape.offsets[i], prim);
    const out = Object.create(trackingListPrototype()) as Tracked & ListFields;
    copyList(List(items) as unknown as ListFields, out);
    out.__mmAt = at;
    out.__mmShape = shape;
    return out;
  }
  const vals = new Array<unknown>(shape.fields.length);
  const defaults = shape.proto._defaultValues;
  for (let i = 0; i < vals.length; i++) {
    const x = trackedValue(shape.fields[i], at + shape.offsets[i], prim);
    // As Immutable's Record constructor stores them: a field at its default is undefined.
    vals[i] = x === defaults[shape.keys[i]] ? undefined : x;
  }
  const out = makeRecord(trackingRecordPrototype(shape.proto), List(vals)) as TrackedRecord;
  out.__mmAt = at;
  out.__mmShape = shape;
  return out;
}

/** The tracked instance `v` is, or null (a primitive, or a value not decoded from the state). */
function trackedOf(v: unknown): Tracked | null {
  if (v === null || typeof v !== 'object') return null;
  const t = v as Partial<Tracked>;
  return t.__mmShape !== undefined && t.__mmAt !== undefined ? (t as Tracked) : null;
}

/** Part `i` of a Record or List value, read without tracking. */
function partOf(v: unknown, shape: RecordShape | ListShape, i: number): unknown {
  return untracked(() => (shape.kind === 'record' ? (v as { get(k: string): unknown }).get(shape.keys[i]) : (v as { get(i: number): unknown }).get(i)));
}

/**
 * Walks `v`, a value a run of model code left at slot `at` under `shape` (it encodes under
 * it), and says which slots it assigned — `assign(start, end)`: each slot whose value is not
 * the one the state had there before the run, or not known to be — and which slots it moved
 * from elsewhere — `moved(start, end)`: their values were copied, so they count as read.
 * Slots of a part still at its place and not set along its lineage are passed over.
 */
export function assignedSlots(v: unknown, shape: Shape, at: number, assign: (start: number, end: number) => void, moved: (start: number, end: number) => void): void {
  if (shape.kind === 'prim') {
    assign(at, at + 1);
    return;
  }
  const t = trackedOf(v);
  if (t !== null && t.__mmAt === at && t.__mmShape === shape) {
    if (t.__mmSet === undefined) return;
    const n = shape.kind === 'record' ? shape.fields.length : shape.items.length;
    for (let i = 0; i < n; i++) {
      if (isSet(t.__mmSet, i)) assignedSlots(partOf(v, shape, i), shape.kind === 'record' ? shape.fields[i] : shape.items[i], at + shape.offsets[i], assign, moved);
    }
    return;
  }
  const n = shape.kind === 'record' ? shape.fields.length : shape.items.length;
  for (let i = 0; i < n; i++) {
    const part = shape.kind === 'record' ? shape.fields[i] : shape.items[i];
    const dest = at + shape.offsets[i];
    if (t !== null && !isSet(t.__mmSet, i)) {
      // Part of a value decoded at another place, as it was there: copied here.
      const from = t.__mmAt + t.__mmShape.offsets[i];
      moved(from, from + part.width);
      assign(dest, dest + part.width);
    } else {
      // A part the run built or set: on its own.
      assignedSlots(partOf(v, shape, i), part, dest, assign, moved);
    }
  }
}
