// The footprint probe: runs model code on a copy of the shared state whose Records and Lists
// report, path by path, what the code reads and what it assigns — so partial-order
// reduction can check a step's declared footprint against what the step really does, and
// learn the footprint of a step that declares none.
//
// A probed value is a *view*: an object whose prototype extends the Record class's (or
// List's) prototype and which holds the plain value it stands for. Views report, at the
// finest grain the code's access allows:
//   - `record.field` / `record.get(k)` / `list.get(i)` of a primitive: a read of that path
//     (`pages[1].ref`); of a Record or List: nothing yet, it returns that child's view;
//   - `list.size`, an index out of range or a negative index: a read of `list[#size]`;
//   - anything else that looks at the contents (iteration, equals, hashCode, toJS, merge,
//     any method reaching Immutable's internal fields): a read of the whole value's path.
// Writes are found from the value the code returns: `set` (and `update`, `setIn`,
// `withMutations`, which use it) on a view returns a view of the same path that remembers
// which children were assigned, even to the value they had; any other way of making a value
// (a constructor, `push`, `map` of a plain List…) is an assignment of the whole path it is
// stored at. So a probe may report more than the code strictly touched, never less — the
// direction partial-order reduction needs.
//
// Known limits (FIXME): identity comparisons of parts of the state (`a === shared.pte`) are
// not seen; reading your own assignment is not reported (it reads no state).
import { is, isImmutable, isList, isRecord, List } from 'immutable';

/** What one run of model code accessed: access paths (segments, see footprint.ts keys). */
export class AccessProbe {
  /** Paths read, by key text. */
  readonly reads = new Map<string, readonly string[]>();
  /** Paths assigned, by key text. */
  readonly writes = new Map<string, readonly string[]>();

  /** Records a read of `path` (its text `text`). */
  read(path: readonly string[], text: string): void {
    if (!this.reads.has(text)) this.reads.set(text, path);
  }

  /** Records an assignment of `path` (its text `text`). */
  write(path: readonly string[], text: string): void {
    if (!this.writes.has(text)) this.writes.set(text, path);
  }
}

let active: AccessProbe | null = null;

/** Runs `fn` with `probe` recording, or with none (null); probes do not nest: the inner one records alone. */
export function probing<T>(probe: AccessProbe | null, fn: () => T): T {
  const outer = active;
  active = probe;
  try {
    return fn();
  } finally {
    active = outer;
  }
}

/**
 * Runs `fn` unwatched: for engine checks that read shared state only for what no other
 * thread can change (which locks the acting thread itself holds).
 */
export function unprobed<T>(fn: () => T): T {
  return probing(null, fn);
}

/** Reports a read of `path` to the active probe (for state the DSL reads itself: locks, threads). */
export function probeRead(path: readonly string[], text: string): void {
  if (active !== null) active.read(path, text);
}

/** Reports an assignment of `path` to the active probe. */
export function probeWrite(path: readonly string[], text: string): void {
  if (active !== null) active.write(path, text);
}

/** True while a probe records. */
export function probeActive(): boolean {
  return active !== null;
}

/** Per view: where its contents come from and what the code has assigned in it. */
interface ViewInfo {
  /** The path of the original value this view derives from, and its text ('' for the root). */
  readonly path: readonly string[];
  readonly text: string;
  /** The plain Record or List it stands for (a mutable copy inside withMutations). */
  plain: any;
  /** Children assigned since the original (set even to their old value), or every child. */
  marks: Set<string | number> | 'all';
  /** Views of the original's children, made on first access. */
  readonly children: Map<string | number, object>;
  readonly kind: 'record' | 'list';
}

const INFO = Symbol('mmcheck.view');

function infoOf(v: unknown): ViewInfo | undefined {
  return v !== null && typeof v === 'object' ? ((v as Record<symbol, ViewInfo | undefined>)[INFO] ?? undefined) : undefined;
}

function childPath(info: ViewInfo, k: string | number): { path: string[]; text: string } {
  const path = [...info.path, String(k)];
  const text = info.kind === 'list' ? `${info.text}[${k}]` : info.text === '' ? String(k) : `${info.text}.${k}`;
  return { path, text };
}

function readWhole(info: ViewInfo): void {
  if (active !== null) active.read(info.path, info.text === '' ? '*' : info.text);
}

function readSize(info: ViewInfo): void {
  if (active !== null) active.read([...info.path, '#size'], `${info.text}[#size]`);
}

/**
 * Index `index` of a List view as Immutable resolves it, in range; or -1 when out of range
 * (the answer then depends on the size, which is read). A negative index reads the size; an
 * index Immutable would resolve otherwise (a fraction) reads the whole List.
 */
function indexOf(info: ViewInfo, index: unknown): number {
  const size: number = info.plain.size;
  let i: number;
  if (typeof index === 'number') i = index;
  else {
    const u = Number(index) >>> 0;
    if (String(u) !== index || u === 4294967295) return -1; // Immutable: not an index (NaN)
    i = u;
  }
  if (!Number.isInteger(i)) {
    readWhole(info);
    return -1;
  }
  if (i < 0) {
    readSize(info);
    i += size;
  }
  if (i < 0 || i >= size) {
    readSize(info);
    return -1;
  }
  return i;
}

/** Every child of `info` assigned (its old contents may survive, so they count as read). */
function assignAll(info: ViewInfo): void {
  readWhole(info);
  info.marks = 'all';
}

function isContainer(v: unknown): boolean {
  return isRecord(v) || isList(v);
}

/** The view of `plain` at `path`. */
function makeView(plain: any, path: readonly string[], text: string, marks: Set<string | number> | 'all', children: Map<string | number, object>): object {
  const kind = isList(plain) ? 'list' : 'record';
  const proto = kind === 'list' ? LIST_VIEW : recordViewProto(Object.getPrototypeOf(plain));
  const v = Object.create(proto) as Record<symbol, ViewInfo>;
  Object.defineProperty(v, INFO, { value: { path, text, plain, marks, children, kind } satisfies ViewInfo });
  return v;
}

/** A view derived from `info`'s, holding `plain`, with `key` (if any) assigned. */
function derive(info: ViewInfo, plain: any, key?: string | number): object {
  let marks: Set<string | number> | 'all' = info.marks;
  const children = new Map(info.children);
  if (key !== undefined && marks !== 'all') {
    marks = new Set(marks);
    marks.add(key);
    children.delete(key);
  }
  return makeView(plain, info.path, info.text, marks === 'all' ? 'all' : new Set(marks), children);
}

/** `info`'s child `k`, as code reading it sees it: a view of an original container, or the value (a read of a primitive). */
function child(info: ViewInfo, k: string | number, value: unknown): unknown {
  if (info.marks === 'all' || info.marks.has(k)) return value; // the code's own assignment
  if (isContainer(value)) {
    let view = info.children.get(k);
    if (view === undefined) {
      const { path, text } = childPath(info, k);
      view = makeView(value, path, text, new Set(), new Map());
      info.children.set(k, view);
    }
    return view;
  }
  if (active !== null) {
    const { path, text } = childPath(info, k);
    active.read(path, text);
  }
  return value;
}

/** Own-property accessors for Immutable's internal fields: reading contents through them reads the whole value. */
function internalAccessors(proto: object, names: readonly string[], writesAll: boolean): void {
  for (const name of names) {
    Object.defineProperty(proto, name, {
      get(this: Record<symbol, ViewInfo>) {
        const info = this[INFO];
        readWhole(info);
        return info.plain[name];
      },
      set(this: Record<symbol, ViewInfo>, x: unknown) {
        const info = this[INFO];
        info.plain[name] = x;
        if (writesAll) assignAll(info);
      },
    });
  }
}

/** Accessors passed through without a read (ownership and caches, not contents). */
function passThrough(proto: object, names: readonly string[]): void {
  for (const name of names) {
    Object.defineProperty(proto, name, {
      get(this: Record<symbol, ViewInfo>) {
        return this[INFO].plain[name];
      },
      set(this: Record<symbol, ViewInfo>, x: unknown) {
        this[INFO].plain[name] = x;
      },
    });
  }
}

/** Methods shared by Record and List views: ownership changes keep the view (and its marks). */
function ownershipMethods(proto: Record<string, unknown>): void {
  proto.__ensureOwner = function (this: Record<symbol, ViewInfo>, ownerID: unknown) {
    const info = this[INFO];
    const plain = info.plain.__ensureOwner(ownerID);
    if (plain === info.plain) return this;
    return derive(info, plain);
  };
  proto.withMutations = function (this: Record<symbol, ViewInfo> & { asMutable(): any }, fn: (m: unknown) => unknown) {
    const mutable = this.asMutable();
    fn(mutable);
    // The mutated copy even when nothing changed: its marks say what was assigned.
    return mutable.__ensureOwner(this[INFO].plain.__ownerID);
  };
  proto.wasAltered = function (this: Record<symbol, ViewInfo>) {
    return this[INFO].plain.wasAltered();
  };
  // Immutable's own hash cache: computing it reads everything (through the internals).
  Object.defineProperty(proto, '__hash', {
    get(this: Record<symbol, ViewInfo>) {
      const info = this[INFO];
      if (info.plain.__hash !== undefined) readWhole(info);
      return info.plain.__hash;
    },
    set(this: Record<symbol, ViewInfo>, x: unknown) {
      this[INFO].plain.__hash = x;
    },
  });
}

const LIST_PROTO = List.prototype as unknown as Record<string, any>;

/** The prototype of List views. */
const LIST_VIEW: Record<string, unknown> = (() => {
  const p = Object.create(LIST_PROTO) as Record<string, unknown>;
  internalAccessors(p, ['_origin', '_capacity', '_level', '_root', '_tail'], true);
  passThrough(p, ['__ownerID', '__altered']);
  Object.defineProperty(p, 'size', {
    get(this: Record<symbol, ViewInfo>) {
      const info = this[INFO];
      readSize(info);
      return info.plain.size;
    },
    set(this: Record<symbol, ViewInfo>, x: unknown) {
      const info = this[INFO];
      info.plain.size = x;
      assignAll(info);
    },
  });
  ownershipMethods(p);
  p.get = function (this: Record<symbol, ViewInfo>, index: unknown, notSetValue?: unknown) {
    const info = this[INFO];
    const i = indexOf(info, index);
    if (i < 0) return info.plain.get(index, notSetValue);
    return child(info, i, info.plain.get(i));
  };
  p.has = function (this: Record<symbol, ViewInfo>, index: unknown) {
    const info = this[INFO];
    readSize(info);
    return info.plain.has(index);
  };
  p.set = function (this: Record<symbol, ViewInfo>, index: unknown, value: unknown) {
    const info = this[INFO];
    const i = indexOf(info, index);
    const plain = info.plain.set(index, value);
    if (i < 0) {
      // Past the end (the List grows): the whole List is assigned, its old items kept.
      const out = plain === info.plain ? this : derive(info, plain);
      assignAll((out as Record<symbol, ViewInfo>)[INFO]);
      return out;
    }
    if (plain === info.plain && plain.__ownerID !== undefined) {
      // A mutable copy inside withMutations: changed in place.
      if (info.marks !== 'all') info.marks.add(i);
      info.children.delete(i);
      return this;
    }
    return derive(info, plain, i);
  };
  p.__iterate = function (this: Record<symbol, ViewInfo>, fn: (v: unknown, k: number, c: unknown) => unknown, reverse?: boolean) {
    const info = this[INFO];
    readWhole(info);
    return info.plain.__iterate((v: unknown, k: number) => fn(v, k, this), reverse);
  };
  p.__iterator = function (this: Record<symbol, ViewInfo>, type: number, reverse?: boolean) {
    const info = this[INFO];
    readWhole(info);
    return info.plain.__iterator(type, reverse);
  };
  return p;
})();

const recordViews = new WeakMap<object, object>();

/** The prototype of views of Records of the class whose prototype is `base`. */
function recordViewProto(base: object): object {
  let p = recordViews.get(base) as Record<string, unknown> | undefined;
  if (p !== undefined) return p;
  const proto = base as Record<string, any>;
  p = Object.create(base) as Record<string, unknown>;
  internalAccessors(p, ['_values'], true);
  passThrough(p, ['__ownerID']);
  ownershipMethods(p);
  const has = (k: unknown): boolean => typeof k === 'string' && Object.prototype.hasOwnProperty.call(proto._indices, k);
  p.get = function (this: Record<symbol, ViewInfo>, k: unknown, notSetValue?: unknown) {
    const info = this[INFO];
    if (!has(k)) return notSetValue;
    return child(info, k as string, proto.get.call(info.plain, k));
  };
  p.set = function (this: Record<symbol, ViewInfo>, k: unknown, v: unknown) {
    const info = this[INFO];
    if (!has(k)) return this;
    const plain = proto.set.call(info.plain, k, v);
    if (info.plain.__ownerID !== undefined) {
      if (info.marks !== 'all') info.marks.add(k as string);
      info.children.delete(k as string);
      return this;
    }
    return derive(info, plain, k as string);
  };
  p.clear = function (this: Record<symbol, ViewInfo>) {
    const info = this[INFO];
    const plain = proto.clear.call(info.plain);
    if (plain === info.plain) {
      info.marks = 'all';
      return this;
    }
    const out = derive(info, plain);
    (out as Record<symbol, ViewInfo>)[INFO].marks = 'all';
    return out;
  };
  recordViews.set(base, p);
  return p;
}

/**
 * The view of shared state `value` (a Record or a List; anything else is returned as it is:
 * a primitive root cannot be watched, so the DSL reports reading it itself).
 *
 * @example
 *   const probe = new AccessProbe();
 *   const view = viewOf(shared);
 *   const after = probing(probe, () => step(view));
 *   assignedPaths(view, after, probe);   // probe.reads, probe.writes: what the step touched
 */
export function viewOf<T>(value: T): T {
  if (!isContainer(value)) return value;
  return makeView(value, [], '', new Set(), new Map()) as T;
}

/** True when `v` is a view (made by `viewOf`, or derived from one). */
export function isView(v: unknown): boolean {
  return infoOf(v) !== undefined;
}

/**
 * Records in `probe` a read of every part of the state `value` holds (a view, or inside it):
 * for a value the code keeps — in its thread's locals, or at another path of the state —
 * holding a part of the state copies all of it, whether or not the code looked inside.
 *
 * @example
 *   escapes(newLocals, probe)   // local: local.set('saved', shared.pte) reads all of pte
 */
export function escapes(value: unknown, probe: AccessProbe): void {
  const info = infoOf(value);
  if (info === undefined) {
    escapesWithin(value, probe);
    return;
  }
  probe.read(info.path, info.text === '' ? '*' : info.text);
  // Children it was given since: they may hold other parts of the state.
  if (info.marks === 'all') escapesWithin(info.plain, probe);
  else for (const k of info.marks) escapes(info.plain.get(k), probe);
}

/** `escapes` for what a (plain) value holds. */
function escapesWithin(value: unknown, probe: AccessProbe): void {
  if (value === null || typeof value !== 'object' || !isImmutable(value)) return;
  (value as unknown as { __iterate(fn: (v: unknown, k: unknown) => unknown): unknown }).__iterate((v, k) => {
    escapes(v, probe);
    escapes(k, probe);
  });
}

/**
 * Records in `probe` the paths `result` assigns relative to the view `original` it was
 * computed from: the children marked along its derivation, recursively; a value that is not
 * derived from the view of its own path is an assignment of that whole path.
 *
 * One exception: a path the code read and then assigned the very value it had is not
 * written (`seq: cond ? seq + 1 : seq` when cond is false). Sound for partial-order
 * reduction because the step's declaration must cover that read: every step that could
 * change the value is then dependent on this one, and along steps independent of it the
 * value — so the assignment — stays the same.
 */
export function assignedPaths(original: unknown, result: unknown, probe: AccessProbe): void {
  if (result === original) return;
  const root = infoOf(original);
  if (root === undefined) {
    // A primitive root: any other value replaces it.
    if (!Object.is(result, original)) probe.write([], '*');
    return;
  }
  walk(result, root.path, root.text, root.plain);

  function walk(value: unknown, path: readonly string[], text: string, before: unknown): void {
    const info = infoOf(value);
    if (info === undefined || info.text !== text || info.marks === 'all') {
      if (info === undefined && unchangedAndRead(value, path, before)) return;
      probe.write(path, text === '' ? '*' : text);
      // What the new value holds of the state elsewhere was read (copied): a part moved here
      // from another path, or one inside a value made anew.
      if (info === undefined) escapesWithin(value, probe);
      else if (info.text !== text) escapes(value, probe);
      else escapesWithin(info.plain, probe);
      return;
    }
    for (const k of info.marks) {
      const sub = childPath(info, k);
      walk(info.plain.get(k), sub.path, sub.text, isContainer(before) ? (before as { get(k: unknown): unknown }).get(k) : undefined);
    }
  }

  function unchangedAndRead(value: unknown, path: readonly string[], before: unknown): boolean {
    if (!unprobed(() => is(value, before))) return false;
    for (const r of probe.reads.values()) if (r.length <= path.length && r.every((seg, i) => seg === path[i])) return true;
    return false;
  }
}
