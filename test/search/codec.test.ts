// The state codec moves states between worker threads as bytes: decoding must give back an
// equal value with the same fingerprint, for every kind of value a state may hold.
import { describe, expect, it } from 'vitest';
import { List, Map, OrderedMap, OrderedSet, Record, Set, Stack, is } from 'immutable';
import { ByteSink, StateCodec } from '../../src/state/codec.ts';
import { fingerprintBig } from '../../src/state/fingerprint.ts';
import { validateState } from '../../src/state/validate.ts';

const Page = Record({ ref: 0, state: 'unused' }, 'Page');
const Pair = Record({ a: null as unknown, b: null as unknown }, 'Pair');

const samples: unknown[] = [
  null,
  true,
  false,
  0,
  -16,
  111,
  112,
  -17,
  2 ** 40,
  -(2 ** 40),
  1.5,
  -0.25,
  '',
  'freed',
  'ünïcødé ✓',
  List([1, null, 'x', List([2])]),
  Map({ a: 1, b: List([Page({ ref: 2, state: 'live' })]) }),
  Set([3, 1, 2]),
  OrderedMap([['z', 1], ['a', 2]]),
  OrderedSet(['b', 'a']),
  Stack([1, 2, 3]),
  Page(),
  Page({ ref: 1 }),
  Pair({ a: Page({ ref: 3, state: 'freed' }), b: Map({ k: Set(['v']) }) }),
];

describe('StateCodec', () => {
  it('decodes every kind of value to an equal value with the same fingerprint', () => {
    const codec = new StateCodec();
    const sink = new ByteSink(8);
    const at = samples.map((v) => codec.encode(v, sink));
    samples.forEach((v, i) => {
      const back = codec.decode(sink.bytes, at[i]);
      expect(is(back, v), `sample ${i}`).toBe(true);
      expect(fingerprintBig(back)).toBe(fingerprintBig(v));
      validateState(back);
    });
  });

  it('decodes a Record type met only by another thread from its descriptor', () => {
    const writer = new StateCodec();
    const reader = new StateCodec();
    const sink = new ByteSink();
    const v = List([Pair({ a: 1, b: Page({ ref: 2 }) })]);
    const at = writer.encode(v, sink);
    expect(() => reader.decode(sink.bytes, at)).toThrow(/unknown Record type/);
    reader.learnDescriptors(writer.takeNewDescriptors());
    const back = reader.decode(sink.bytes, at) as List<{ get(k: string): unknown }>;
    expect(fingerprintBig(back)).toBe(fingerprintBig(v));
    expect(back.get(0)!.get('a')).toBe(1);
  });

  it('is compact: a small state takes a few bytes per field', () => {
    const codec = new StateCodec();
    const sink = new ByteSink();
    codec.encode(List([0, 1, 2, -1, null, true]), sink);
    expect(sink.length).toBe(2 + 6);
  });

  it('writes a collection already in the buffer as a reference, and decodes it to one shared object', () => {
    const codec = new StateCodec();
    const sink = new ByteSink();
    const big = List(Array.from({ length: 40 }, (_, i) => Page({ ref: i })));
    // Equal in content, not the same objects: sharing is by fingerprint, not identity.
    const a = Pair({ a: 1, b: big });
    const b = Pair({ a: 2, b: List(big.toArray()) });
    const atA = codec.encode(a, sink);
    const lenA = sink.length - atA;
    const atB = codec.encode(b, sink);
    const lenB = sink.length - atB;
    expect(lenB).toBeLessThan(12);
    expect(lenA).toBeGreaterThan(40 * 4);
    const backA = codec.decode(sink.bytes, atA) as typeof a;
    const backB = codec.decode(sink.bytes, atB) as typeof b;
    expect(is(backA, a) && is(backB, b)).toBe(true);
    expect(backB.get('b')).toBe(backA.get('b'));
    expect(fingerprintBig(backB)).toBe(fingerprintBig(b));
    // Decoding the second state first (another worker's range) follows the reference back.
    const fresh = new StateCodec();
    fresh.learnDescriptors(codec.takeNewDescriptors());
    expect(is(fresh.decode(sink.bytes, atB), b)).toBe(true);
  });

  it('keeps Record types apart when their fields are equal', () => {
    const A = Record({ x: 0 }, 'A');
    const B = Record({ x: 0 }, 'B');
    const codec = new StateCodec();
    const sink = new ByteSink();
    const at = codec.encode(List([A(), B()]), sink);
    const back = codec.decode(sink.bytes, at) as List<object>;
    expect(back.get(0)).toBeInstanceOf(A);
    expect(back.get(1)).toBeInstanceOf(B);
  });
});
