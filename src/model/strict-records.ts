// Typos in Record keys fail loudly. Immutable ignores a key a Record does not have: `set('mapedd',
// true)` returns the record unchanged, and `Fault({ sqe: 1 })` builds one without it, so a
// model with a typo checks a different model than its author wrote, silently. Loaded with the
// engine (every build path imports it), this makes both an error naming the Record, the key and
// its keys, which the step or build() that did it reports as a model error (exit 2).
//
// It changes Immutable's one Record prototype, so it holds for every Record of the process —
// the engine's, the kernel side's and the model's (mmcheck makes a model's 'immutable' its own
// copy: own-modules.mjs) — and only where Immutable would have ignored the key. It relies on
// two internals of Immutable 5, as layout.ts and tracking.ts do: `set` is the one path of every
// change to a Record (merge, update, setIn, remove, withMutations), and a Record type's first
// construction assigns its defaults to `_defaultValues` on its prototype, which the
// constructor then reads for each key it is given.
// FIXME: `get('typo')` still returns undefined (Immutable's documented notSetValue path).
import { Record } from 'immutable';

/** The error for key `k` of a Record (instance or type prototype) that has no such key. */
function unknownKey(r: { _name?: string; _keys: readonly string[] }, k: unknown, how: string): Error {
  const name = r._name ? `Record '${r._name}'` : 'a Record';
  return new Error(`${name} has no key '${String(k)}' (${how}): its keys are ${r._keys.join(', ')}`);
}

interface RecordInternals {
  readonly _name?: string;
  readonly _keys: readonly string[];
  readonly _indices: { readonly [k: string]: number };
  set(k: unknown, v: unknown): unknown;
}

const proto = Record.prototype as unknown as RecordInternals;
const hasOwn = Object.prototype.hasOwnProperty;

if (!Object.prototype.hasOwnProperty.call(proto, '_defaultValues')) {
  const set = proto.set;
  (proto as { set: RecordInternals['set'] }).set = function strictSet(this: RecordInternals, k: unknown, v: unknown) {
    if (!hasOwn.call(this._indices, k as PropertyKey)) throw unknownKey(this, k, 'set');
    return set.call(this, k, v);
  };
  // A Record type's first construction assigns its defaults here (on the type's prototype,
  // which inherits this accessor): keep a copy whose misses, the keys the constructor is given
  // that the Record lacks, throw.
  Object.defineProperty(proto, '_defaultValues', {
    configurable: true,
    set(this: RecordInternals, defaults: object) {
      const type = this;
      const missing = new Proxy(Object.prototype, {
        get(target, k, receiver) {
          if (typeof k === 'symbol' || k in target) return Reflect.get(target, k, receiver);
          throw unknownKey(type, k, 'constructed with it');
        },
      });
      Object.defineProperty(this, '_defaultValues', { value: Object.assign(Object.create(missing), defaults), writable: true, configurable: true, enumerable: true });
    },
  });
}
