// Vector states: value codes, shapes (encode/decode round trips and what has no fixed layout),
// Zobrist fingerprints (incremental = full) and packing.
import { describe, expect, it } from 'vitest';
import { List, Map as IMap, Record, is } from 'immutable';
import { CODE_FALSE, CODE_NULL, CODE_TRUE, MAX_INT, MIN_INT, NoCodeError, StringCodes, codeOf, valueOf } from '../../src/state/codes.ts';
import { Decoder, NotVectorizableError, encodeValue, listOf, shapeOf } from '../../src/state/layout.ts';
import { Zobrist } from '../../src/state/zobrist.ts';
import { packEdit, packVector, unpackVector, unpackVectorRaw } from '../../src/state/packed.ts';
import { ByteSink } from '../../src/state/codec.ts';
import { prng } from '../reduce/random-models.ts';

const Page = Record({ ref: 0, state: 'unused' as string }, 'Page');
const Mm = Record({ pte: List<number | null>(), pages: List<ReturnType<typeof Page>>(), seq: 0, huge: false }, 'Mm');

describe('value codes', () => {
  it('give every primitive kind its own code, and read back', () => {
    const strings = new StringCodes();
    strings.seed('live');
    const values = [0, 1, -1, 7, -300, MAX_INT, MIN_INT, null, false, true, 'live', 'freed', ''];
    const codes = values.map((v) => codeOf(v, strings));
    expect(new Set(codes).size).toBe(values.length);
    for (let i = 0; i < values.length; i++) expect(valueOf(codes[i], strings)).toBe(values[i]);
    expect([CODE_NULL, CODE_FALSE, CODE_TRUE]).toEqual([codeOf(null, strings), codeOf(false, strings), codeOf(true, strings)]);
    // The values models hold most fit in one byte.
    for (const v of [0, 1, -1, 15, null, false, true, 'live']) expect(codeOf(v, strings)).toBeLessThan(128);
  });

  it('-0 is 0 (as Immutable.is says)', () => {
    const strings = new StringCodes();
    expect(codeOf(-0, strings)).toBe(codeOf(0, strings));
  });

  it('refuse floats, huge integers and NaN', () => {
    const strings = new StringCodes();
    for (const v of [0.5, MAX_INT + 1, MIN_INT - 1, Number.NaN, Infinity]) expect(() => codeOf(v, strings)).toThrow(NoCodeError);
  });

  it('hashed strings are the same in two threads that met them in another order', () => {
    const a = new StringCodes();
    const b = new StringCodes();
    const xs = ['freed', 'mapped', 'locked', 'x'];
    const ca = xs.map((x) => codeOf(x, a));
    const cb = [...xs].reverse().map((x) => codeOf(x, b)).reverse();
    expect(ca).toEqual(cb);
    // A thread decodes a string another hashed once it has learned it.
    const c = new StringCodes();
    expect(() => valueOf(ca[0], c)).toThrow(/unknown string code/);
    c.learn(a.takeHashed());
    expect(valueOf(ca[0], c)).toBe('freed');
  });
});

describe('shapes', () => {
  const state = Mm({ pte: List([0, null]), pages: List([Page({ ref: 2, state: 'live' }), Page()]), seq: 3, huge: true });

  it('lay out Records by key and Lists by index, and decode to an equal value', () => {
    const strings = new StringCodes();
    const shape = shapeOf(state, strings);
    expect(shape.width).toBe(2 + 2 * 2 + 1 + 1);
    const vec = new Int32Array(shape.width);
    expect(encodeValue(shape, state, vec, 0, strings, '')).toBe(shape.width);
    const back = new Decoder(strings).at(vec, 0).value(shape);
    expect(is(back, state)).toBe(true);
    // A decoded Record is of the state's class (its methods and getters work).
    expect((back as typeof state).pages.get(0)!.state).toBe('live');
    expect(back).toBeInstanceOf(Mm);
  });

  it('equal values encode alike, different ones differently', () => {
    const strings = new StringCodes();
    const shape = shapeOf(state, strings);
    const enc = (v: unknown) => {
      const vec = new Int32Array(shape.width);
      encodeValue(shape, v, vec, 0, strings, '');
      return [...vec];
    };
    // Built another way (a field set back to its default value is stored differently inside Immutable).
    const same = state.set('seq', 4).set('seq', 3).setIn(['pages', 1], Page({ ref: 0 }));
    expect(enc(same)).toEqual(enc(state));
    expect(enc(state.set('seq', 4))).not.toEqual(enc(state));
    expect(enc(state.setIn(['pte', 1], 1))).not.toEqual(enc(state));
  });

  it('say where a state has no fixed layout', () => {
    const strings = new StringCodes();
    expect(() => shapeOf(Mm({ pte: List([IMap({ a: 1 })]) as never }), strings)).toThrow(/^pte\[0\]: a Map, which has no fixed layout/);
    expect(() => shapeOf(List([0.25]), strings, 'shared')).toThrow(/shared\[0\]: the number 0.25 is not an integer/);
    const shape = shapeOf(state, strings);
    const vec = new Int32Array(shape.width);
    const grown = state.set('pte', List([0, null, 1]));
    expect(() => encodeValue(shape, grown, vec, 0, strings, 'shared')).toThrow(NotVectorizableError);
    expect(() => encodeValue(shape, grown, vec, 0, strings, 'shared')).toThrow(/shared\.pte: a List of 3 where the initial state had 2 items/);
    const other = Record({ ref: 0, state: '' }, 'Other');
    expect(() => encodeValue(shape, state.setIn(['pages', 0], other()), vec, 0, strings, 'shared')).toThrow(/shared\.pages\[0\]: a Other Record where the initial state had a Page Record/);
  });
});

describe('Zobrist fingerprints', () => {
  it('updated by the slots a step writes equal the fingerprint computed from scratch', () => {
    const rnd = prng(7);
    const width = 40;
    const z = new Zobrist(width);
    const vec = new Int32Array(width);
    const a = new Uint32Array(2);
    const b = new Uint32Array(2);
    z.full(vec, a);
    let h = a[0] | 0;
    let l = a[1] | 0;
    for (let step = 0; step < 2000; step++) {
      const slot = Math.floor(rnd() * width);
      // Mostly small codes (tabled), sometimes large ones (computed).
      const code = rnd() < 0.9 ? Math.floor(rnd() * 128) : Math.floor(rnd() * 2 ** 30);
      h ^= z.hiOf(slot, vec[slot]) ^ z.hiOf(slot, code);
      l ^= z.loOf(slot, vec[slot]) ^ z.loOf(slot, code);
      vec[slot] = code;
      z.full(vec, b);
      expect([h >>> 0, l >>> 0]).toEqual([b[0], b[1]]);
    }
  });

  it('differ for states that differ in one slot, or by two slots swapped', () => {
    const z = new Zobrist(8);
    const fp = (v: number[]) => {
      const out = new Uint32Array(2);
      z.full(Int32Array.from(v), out);
      return `${out[0]}:${out[1]}`;
    };
    const seen = new Set<string>();
    for (let s = 0; s < 8; s++) for (let c = 0; c < 200; c++) seen.add(fp(Array.from({ length: 8 }, (_, i) => (i === s ? c : 0))));
    expect(seen.size).toBe(8 * 199 + 1);
    expect(fp([1, 2, 0, 0, 0, 0, 0, 0])).not.toBe(fp([2, 1, 0, 0, 0, 0, 0, 0]));
  });
});

describe('packed vectors', () => {
  it('round-trip: one byte a slot when every code is below 256, varints otherwise', () => {
    const sink = new ByteSink(16);
    const vecs = [
      Int32Array.from([0, 1, 127, 128, 2 ** 31 - 1, 5]), // varint: 1 + 1 + 1 + 2 + 5 + 1 bytes
      Int32Array.from([3, 3, 3, 3, 3, 3]), // raw
      Int32Array.from([255, 128, 0, 200, 1, 7]), // raw, with codes that take two varint bytes
      Int32Array.from([256, 0, 0, 0, 0, 0]), // varint: 2 + 5 bytes
      Int32Array.from([-1, 0, 0, 0, 0, 0]), // a code of 2^32 - 1: varint, 5 + 5 bytes
    ];
    const offsets = vecs.map((v) => packVector(v, sink));
    const ends = [...offsets.slice(1), sink.length];
    expect(ends.map((e, i) => e - offsets[i])).toEqual([11, 6, 6, 7, 10]);
    const out = new Int32Array(6);
    for (let i = 0; i < vecs.length; i++) {
      unpackVector(sink.bytes, offsets[i], ends[i], out);
      expect([...out]).toEqual([...vecs[i]]);
    }
  });

  it("packs a successor from its raw parent's bytes as packVector packs its vector, and declines a wide write", () => {
    const sink = new ByteSink(8);
    const parent = Int32Array.from([3, 0, 255, 7, 1, 0]);
    const at = packVector(parent, sink);
    const raw = new Uint8Array(6);
    const cur = new Int32Array(6);
    expect(unpackVectorRaw(sink.bytes, at, sink.length, cur, raw)).toBe(true);
    expect([...cur]).toEqual([...parent]);
    expect([...raw]).toEqual([...parent]);
    for (const delta of [Int32Array.from([1, 9, 5, 255]), Int32Array.from([]), Int32Array.from([0, 0])]) {
      const expected = Int32Array.from(parent);
      for (let j = 0; j < delta.length; j += 2) expected[delta[j]] = delta[j + 1];
      const reference = new ByteSink();
      const want = reference.bytes.subarray(packVector(expected, reference), reference.length);
      const start = packEdit(raw, delta, sink);
      expect([...sink.bytes.subarray(start, sink.length)]).toEqual([...want]);
    }
    // A code of 256 or more, or a negative one, is not raw: nothing is written.
    for (const wide of [256, -1]) {
      const length = sink.length;
      expect(packEdit(raw, Int32Array.from([2, wide]), sink)).toBe(-1);
      expect(sink.length).toBe(length);
    }
    // A varint packing is unpacked and not copied.
    const wideVec = Int32Array.from([300, 0, 0, 0, 0, 0]);
    const wat = packVector(wideVec, sink);
    raw.fill(77);
    expect(unpackVectorRaw(sink.bytes, wat, sink.length, cur, raw)).toBe(false);
    expect([...cur]).toEqual([...wideVec]);
    expect(raw.every((b) => b === 77)).toBe(true);
  });
});

describe('listOf (the decoder builds Lists without a Seq)', () => {
  it("gives Immutable's own List for every size: equal, same hash, and every derivation works", () => {
    // It builds the one tail node List(array) builds below 32 elements; a change in
    // Immutable's List layout would show here before it showed as a wrong state.
    for (const n of [0, 1, 2, 31, 32, 40]) {
      const items = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? `s${i}` : i));
      const fast = listOf([...items]);
      const real = List(items);
      expect(is(fast, real), `size ${n}`).toBe(true);
      expect(fast.hashCode()).toBe(real.hashCode());
      expect(fast.size).toBe(n);
      expect(fast.toArray()).toEqual(items);
      expect(is(fast.push('x'), real.push('x'))).toBe(true);
      if (n > 0) {
        expect(fast.get(n - 1)).toBe(items[n - 1]);
        expect(is(fast.set(0, 'y'), real.set(0, 'y'))).toBe(true);
        expect(is(fast.pop(), real.pop())).toBe(true);
        expect(is(fast.withMutations((l) => l.set(n - 1, 'z').push(1)), real.withMutations((l) => l.set(n - 1, 'z').push(1)))).toBe(true);
      }
    }
  });
});
