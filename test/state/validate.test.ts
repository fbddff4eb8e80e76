import { describe, expect, it } from 'vitest';
import { List, Map, Record, Seq } from 'immutable';
import { InvalidStateError, validateState } from '../../src/state/validate.ts';

const Pte = Record({ page: null as unknown, writable: false }, 'Pte');

function problem(v: unknown): string | null {
  try {
    validateState(v);
    return null;
  } catch (e) {
    if (e instanceof InvalidStateError) return `${e.path}: ${e.found}`;
    throw e;
  }
}

describe('validateState', () => {
  it('accepts Immutable collections and primitives', () => {
    expect(problem(Map({ a: List([1, 'x', true, null, Infinity]), r: Pte({ page: 3 }) }))).toBeNull();
  });

  it.each([
    ['a plain object', Map({ spte: List([{ page: 1 }]) }), 'spte[0]: a plain object (use Record or Map)'],
    ['an array', Map({ pages: [1, 2] }), 'pages: an array (use List)'],
    ['a function', List([() => 1]), '[0]: a function (anonymous)'],
    ['undefined', Map({ x: undefined }), 'x: undefined'],
    ['NaN', Pte({ page: NaN }), 'page: NaN'],
    ['a mutable Map', Map({ m: new globalThis.Map() }), 'm: a mutable Map (use an Immutable collection)'],
    ['a lazy Seq', Map({ s: Seq([1]) }), 's: a lazy Seq (call .toList() or .toMap())'],
  ])('rejects %s with the path to it', (_what, value, expected) => {
    expect(problem(value)).toBe(expected);
  });
});
