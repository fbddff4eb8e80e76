// Read and write tracking: which fields of a state a piece of model code (a step, a guard,
// an invariant) read, and which it set, so its result can be memoised on exactly what it
// depends on (src/model/memo.ts).
//
// A *field* is a range of slots of a vector state (src/state/layout.ts), named by an id:
// for the thread DSL, each top-level field of the shared Record, each thread's program
// counter, each field of a thread's locals Record, each lock. Model code sees ordinary
// Immutable Records; the top-level ones it is handed are instances of a *tracking
// prototype* that extends their class's prototype and reports `get` (every read path of a
// Record goes through it: property getters, getIn, toJS, equals, iteration) and `set` /
// `clear` (every change of a Record goes through them, merge and update included) to the
// active Tracker. Records derived from a tracking one (by set, merge, withMutations…) keep
// its prototype, so reading a field of a step's intermediate result counts as reading that
// field of the state: more than necessary, never less. Values inside a field (Lists, nested
// Records) are plain: reading the field reads all of it.
//
// What tracking does not see: code reading anything outside the state (a counter, the
// clock); the determinism checks catch most of that. Internal fields (`_values`) are not
// read by model code.
import type { RecordProto } from '../state/layout.ts';

let active: Tracker | null = null;

/** The fields one run of model code read (in first-read order) and set. */
export class Tracker {
  private readMark: Uint32Array;
  private writeMark: Uint32Array;
  private epoch = 0;
  /** Field ids read, in the order first read. */
  readonly reads: number[] = [];
  /** Field ids set (possibly to the value they had). */
  readonly writes: number[] = [];

  constructor(fields: number) {
    this.readMark = new Uint32Array(fields);
    this.writeMark = new Uint32Array(fields);
  }

  /** Starts recording (a new run: nothing read or written yet). */
  start(): void {
    if (++this.epoch === 0xffffffff) {
      this.readMark.fill(0);
      this.writeMark.fill(0);
      this.epoch = 1;
    }
    this.reads.length = 0;
    this.writes.length = 0;
    active = this;
  }

  /** Stops recording (model code run from now on is not tracked). */
  stop(): void {
    if (active === this) active = null;
  }

  read(field: number): void {
    if (this.readMark[field] !== this.epoch) {
      this.readMark[field] = this.epoch;
      this.reads.push(field);
    }
  }

  write(field: number): void {
    if (this.writeMark[field] !== this.epoch) {
      this.writeMark[field] = this.epoch;
      this.writes.push(field);
    }
  }

  wasRead(field: number): boolean {
    return this.readMark[field] === this.epoch;
  }

  wasWritten(field: number): boolean {
    return this.writeMark[field] === this.epoch;
  }
}

/** Reports a read of `field` to the active tracker, if any (for model code the DSL runs itself: locks, program counters). */
export function trackRead(field: number): void {
  if (active !== null) active.read(field);
}

/** Reports a write of `field` to the active tracker, if any. */
export function trackWrite(field: number): void {
  if (active !== null) active.write(field);
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

interface RecordMethods {
  get(this: object, k: string, notSetValue?: unknown): unknown;
  set(this: object, k: string, v: unknown): unknown;
  clear(this: object): unknown;
  withMutations(this: object, fn: (mutable: unknown) => unknown): unknown;
  asMutable(this: object): unknown;
  __ensureOwner(this: object, ownerID: unknown): unknown;
}

/** A tracked Record instance: Immutable's fields plus the fields set along its lineage. */
interface TrackedRecord {
  _values: unknown;
  __ownerID: unknown;
  /** Fields set on the way from the tracked state to this record: a bit mask, or flags for wide Records. */
  __mmSet?: number | boolean[];
}

/** Lineage marks of a record with field `i` added. */
function withField(marks: number | boolean[] | undefined, i: number, width: number): number | boolean[] {
  if (width <= 30) return ((marks as number | undefined) ?? 0) | (1 << i);
  const out = marks === undefined ? new Array<boolean>(width).fill(false) : [...(marks as boolean[])];
  out[i] = true;
  return out;
}

/**
 * Which fields of `record` were set along its lineage from the tracked state (a record of
 * tracking prototype `proto`): every field for a record built otherwise (a constructor),
 * since nothing of it is known to come from the state.
 */
export function fieldsSet(record: unknown, proto: object, width: number): (i: number) => boolean {
  if (!isTrackedBy(record, proto)) return () => true;
  const marks = (record as TrackedRecord).__mmSet;
  if (marks === undefined) return () => false;
  if (typeof marks === 'number') return (i) => ((marks >>> i) & 1) === 1;
  return (i) => marks[i];
}

/**
 * A prototype extending Record class prototype `base` whose instances report their field
 * reads to the active tracker (field `i` of the Record, in key order, is field id
 * `fieldIds[i]`) and record, on each instance, the fields set along its lineage.
 *
 * The lineage marks are exact because every way Immutable derives a Record from another goes
 * through `set`, `clear` or `__ensureOwner` (its only callers of makeRecord), which carry the
 * marks over. Two departures from plain Records make them exact even for a set that changes
 * nothing: such a `set` returns a fresh copy instead of the record itself, and
 * `withMutations` returns the mutated copy even when nothing changed — otherwise
 * `s.set('x', 1)` on a state with x = 1 would be indistinguishable from not setting x, and a
 * copy discarded by the step could not be told from the result. Model code compares
 * states by value, so it cannot tell.
 *
 * @example
 *   const proto = trackingPrototype(Object.getPrototypeOf(shared), [0, 1, 2]);
 *   const tracked = makeRecord(proto, shared._values); // reads of tracked.x report field 0
 */
export function trackingPrototype(base: RecordProto, fieldIds: readonly number[]): object {
  const methods = base as unknown as RecordMethods;
  const get = methods.get;
  const set = methods.set;
  const clear = methods.clear;
  const ensureOwner = methods.__ensureOwner;
  const indices = base._indices;
  const width = fieldIds.length;
  const p = Object.create(base) as RecordMethods;
  Object.defineProperty(p, '__mmBase', { value: base });
  p.get = function (k, notSetValue) {
    const i = indices[k];
    if (typeof i === 'number' && active !== null) active.read(fieldIds[i]);
    return get.call(this, k, notSetValue);
  };
  p.set = function (k, v) {
    const i = indices[k];
    const r = set.call(this, k, v) as TrackedRecord;
    if (typeof i !== 'number') return r;
    const self = this as TrackedRecord;
    if (self.__ownerID !== undefined) {
      // A mutable copy inside withMutations: changed in place.
      self.__mmSet = withField(self.__mmSet, i, width);
      return r;
    }
    const out = r === self ? copyOf(p, self) : r;
    out.__mmSet = withField(self.__mmSet, i, width);
    return out;
  };
  p.clear = function () {
    const r = clear.call(this) as TrackedRecord;
    r.__mmSet = width <= 30 ? (1 << width) - 1 : new Array<boolean>(width).fill(true);
    return r;
  };
  p.__ensureOwner = function (ownerID) {
    const r = ensureOwner.call(this, ownerID) as TrackedRecord;
    if (r !== this) r.__mmSet = (this as TrackedRecord).__mmSet;
    return r;
  };
  p.withMutations = function (fn) {
    const mutable = (this as RecordMethods).asMutable.call(this) as TrackedRecord;
    fn(mutable);
    // The copy even when nothing changed (its marks say what was set).
    return (mutable as unknown as RecordMethods).__ensureOwner.call(mutable, (this as TrackedRecord).__ownerID);
  };
  return p;
}

function copyOf(proto: object, r: TrackedRecord): TrackedRecord {
  const c = Object.create(proto) as TrackedRecord;
  c._values = r._values;
  c.__ownerID = undefined;
  return c;
}

/** True when `v` is an instance of tracking prototype `proto` (a Record derived from the tracked one). */
export function isTrackedBy(v: unknown, proto: object): boolean {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === proto;
}
