// State validation: a state may hold only Immutable.js collections and primitives.
//
// A plain object, an array, a function, `undefined`, NaN, a Symbol, a BigInt or a class
// instance inside a state would make fingerprints meaningless (mutable, or without a
// canonical form), so the first state that holds one is rejected with the path to it.
import { isImmutable, isMap, isOrdered, isRecord, isSeq, isSet, isStack } from 'immutable';

/** Why a value cannot be part of a state, and where it was found. */
export class InvalidStateError extends Error {
  constructor(
    /** Path from the state root, e.g. `shared.spte[0]`. */
    readonly path: string,
    /** What was found there, e.g. `a plain object`. */
    readonly found: string,
  ) {
    super(`${path || '(state)'} holds ${found}; states may hold only Immutable.js values (Record, List, Map, Set) and primitives`);
    this.name = 'InvalidStateError';
  }
}

// Collections already validated carry a mark (a WeakSet with millions of entries would slow
// V8's garbage collector). A collection is immutable, so once valid it stays valid, and a
// successor state re-validates only what its step replaced.
interface Marked {
  __mmValid?: true;
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : `the number ${v}`;
  if (typeof v === 'function') return `a function (${v.name || 'anonymous'})`;
  if (typeof v === 'symbol') return 'a Symbol';
  if (typeof v === 'bigint') return 'a BigInt (use a number or a string)';
  if (Array.isArray(v)) return 'an array (use List)';
  if (v !== null && typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) return 'a plain object (use Record or Map)';
    const name = (v as object).constructor?.name;
    return name ? `a mutable ${name} (use an Immutable collection)` : 'a mutable object';
  }
  return typeof v;
}

function keyText(k: unknown): string {
  return typeof k === 'number' ? `[${k}]` : typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${String(k)}]`;
}

/** Field names of a Record instance (cached on its prototype by Immutable). */
function recordKeys(rec: object): readonly string[] {
  const proto = Object.getPrototypeOf(rec) as { _keys?: string[] };
  return proto._keys ?? [...(rec as unknown as { toSeq(): { keySeq(): Iterable<string> } }).toSeq().keySeq()];
}

/** A found problem, with the path built on the way back up (only when there is one). */
class Bad {
  constructor(
    public path: string,
    readonly found: string,
  ) {}
}

function check(v: unknown): Bad | null {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isNaN(v) ? new Bad('', describe(v)) : null;
    case 'object': {
      if (v === null || (v as Marked).__mmValid) return null;
      if (isSeq(v)) return new Bad('', 'a lazy Seq (call .toList() or .toMap())');
      if (!isImmutable(v) || !(isRecord(v) || isMap(v) || isSet(v) || isOrdered(v) || isStack(v))) {
        return new Bad('', describe(v));
      }
      let bad: Bad | null = null;
      if (isRecord(v)) {
        const rec = v as unknown as { get(k: string): unknown };
        for (const k of recordKeys(v)) {
          bad = check(rec.get(k));
          if (bad) {
            bad.path = keyText(k) + bad.path;
            return bad;
          }
        }
      } else {
        const keyed = isMap(v);
        (v as unknown as { forEach(fn: (val: unknown, key: unknown) => boolean): void }).forEach((val, key) => {
          if (keyed) {
            bad = check(key);
            if (bad) {
              bad.path = `{key ${String(key)}}` + bad.path;
              return false;
            }
          }
          bad = check(val);
          if (bad) bad.path = keyText(key) + bad.path;
          return !bad;
        });
        if (bad) return bad;
      }
      (v as Marked).__mmValid = true;
      return null;
    }
    default:
      return new Bad('', describe(v));
  }
}

/**
 * Throws an {@link InvalidStateError} naming the first field of `v` that is not an
 * Immutable value or a primitive (string, number other than NaN, boolean, null).
 *
 * @example
 *   validateState(Map({ a: {} })); // throws: .a holds a plain object (use Record or Map)
 */
export function validateState(v: unknown, path = ''): void {
  const bad = check(v);
  if (bad) throw new InvalidStateError((path + bad.path).replace(/^\./, ''), bad.found);
}
