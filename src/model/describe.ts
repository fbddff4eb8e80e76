// How values a user wrote or a model returned appear in one-line error messages: said by kind
// ("3 (a number)", "a Promise", "an Immutable Record"), and cut to a readable length.
import { isImmutable, isList, isMap, isRecord, isSet } from 'immutable';

/** Longest user text echoed whole in a message; longer text is cut with an ellipsis and its length. */
export const ECHO_LIMIT = 80;

/**
 * `text` as a message quotes it: whole when short, else its start, an ellipsis and its length
 * (a 100 KB parameter value must not fill the terminal).
 *
 * @example
 *   echo('x'.repeat(100_000)); // 'xxxxxxxx…xxx… (100,000 characters)'
 */
export function echo(text: string, limit = ECHO_LIMIT): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, Math.max(8, limit - 24))}… (${text.length.toLocaleString('en-US')} characters)`;
}

/** True for a Promise or any object with a `then` method (what `await` would wait for). */
export function isThenable(v: unknown): boolean {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** The kind of an Immutable.js value (Record, List, Map, Set), or undefined for anything else. */
function immutableKind(v: object): string | undefined {
  if (isRecord(v)) return 'Record';
  if (isList(v)) return 'List';
  if (isMap(v)) return 'Map';
  if (isSet(v)) return 'Set';
  return isImmutable(v) ? 'collection' : undefined;
}

/**
 * A value as an error message names it: `undefined`, `true`, `3 (a number)`, `'abc' (a
 * string)`, `an empty string`, `an array`, `a Promise`, `an Immutable Record`, `an object`,
 * `a function`.
 */
export function describeValue(v: unknown): string {
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'boolean':
      return String(v);
    case 'number':
      return `${String(v)} (a number)`;
    case 'bigint':
      return `${String(v)}n (a BigInt)`;
    case 'string':
      return v.length === 0 ? 'an empty string' : `'${echo(v, 40)}' (a string)`;
    case 'symbol':
      return 'a Symbol';
    case 'function':
      return 'a function';
  }
  if (v === null) return 'null';
  if (isThenable(v)) return 'a Promise';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : 'an array';
  const kind = immutableKind(v as object);
  if (kind !== undefined) return `an Immutable ${kind}`;
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return 'an object';
  const name = (v as object).constructor?.name;
  return name ? `a ${name}` : 'an object';
}

/** The own keys of a plain object that are not in `known`, in order. */
export function unknownKeys(o: object, known: readonly string[]): string[] {
  return Object.keys(o).filter((k) => !known.includes(k));
}

/** True for `{ … }` written as a literal (or made with Object.create(null)). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
