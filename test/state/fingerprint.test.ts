import { describe, expect, it } from 'vitest';
import { List, Map, OrderedMap, Record, Set } from 'immutable';
import { Worker } from 'node:worker_threads';
import { fingerprintBig, fingerprintHex, fingerprint } from '../../src/state/fingerprint.ts';

const Point = Record({ x: 0, y: 0 }, 'Point');
const Other = Record({ y: 0, x: 0 }, 'Other');

/** Values built the same way in this test and inside the worker below. */
const SAMPLE = 'Map({ a: List([1, 2, "x"]), b: Set([true, null, 3.5]), c: Map({ k: List() }) })';

describe('fingerprint', () => {
  it('ignores insertion order of Maps and Sets', () => {
    const a = Map<string, number>().set('x', 1).set('y', 2).set('z', 3);
    const b = Map<string, number>().set('z', 3).set('x', 1).set('y', 2);
    expect(fingerprintBig(a)).toBe(fingerprintBig(b));
    expect(fingerprintBig(Set([1, 2, 3]))).toBe(fingerprintBig(Set([3, 1, 2])));
  });

  it('respects order in Lists, Records and OrderedMaps', () => {
    expect(fingerprintBig(List([1, 2]))).not.toBe(fingerprintBig(List([2, 1])));
    expect(fingerprintBig(OrderedMap([['a', 1], ['b', 2]]))).not.toBe(fingerprintBig(OrderedMap([['b', 2], ['a', 1]])));
    expect(fingerprintBig(Point({ x: 1, y: 2 }))).not.toBe(fingerprintBig(Point({ x: 2, y: 1 })));
    // Same field values under different field names/orders are different values.
    expect(fingerprintBig(Point({ x: 1, y: 2 }))).not.toBe(fingerprintBig(Other({ x: 1, y: 2 })));
  });

  it('keeps kinds apart: 1, "1", true, List([1]), Set([1])', () => {
    const fps = [1, '1', true, null, 1.5, List([1]), Set([1]), Map({ 0: 1 }), List(), Map(), Set()].map(fingerprintBig);
    expect(new globalThis.Set(fps).size).toBe(fps.length);
  });

  it('treats -0 and 0 as one value, as Immutable.is does', () => {
    expect(fingerprintBig(List([-0]))).toBe(fingerprintBig(List([0])));
  });

  it('is equal for equal values built separately (no identity dependence)', () => {
    const a = Map({ p: Point({ x: 3 }), l: List([Set(['a', 'b'])]) });
    const b = Map({ l: List([Set(['b', 'a'])]), p: Point({ x: 3, y: 0 }) });
    expect(fingerprintBig(a)).toBe(fingerprintBig(b));
  });

  it('finds no collision among 300,000 distinct structured values', () => {
    // Distinct by construction: (i, j, k) triples in several shapes. A 64-bit hash has an
    // expected 2.4e-9 collisions here; a hash with only 32 effective bits would have ~10.
    const seen = new globalThis.Set<bigint>();
    let n = 0;
    for (let i = 0; i < 100; i++) {
      for (let j = 0; j < 100; j++) {
        for (let k = 0; k < 10; k++) {
          seen.add(fingerprintBig(List([i, j, k])));
          seen.add(fingerprintBig(Map({ i, j, k: String(k) })));
          seen.add(fingerprintBig(Point({ x: i * 100 + j, y: k })));
          n += 3;
        }
      }
    }
    expect(n).toBe(300_000);
    expect(seen.size).toBe(n);
  });

  it('is the same in a worker thread and in this one', async () => {
    // The same constructor expression is evaluated here and in the worker.
    const here = fingerprintHex(fingerprint(new Function('List', 'Map', 'Set', `return (${SAMPLE})`)(List, Map, Set)));
    const there = await new Promise<string>((resolve, reject) => {
      const w = new Worker(new URL('../fixtures/fingerprint-worker.mjs', import.meta.url), { workerData: SAMPLE });
      w.once('message', (m) => {
        resolve(m as string);
        void w.terminate();
      });
      w.once('error', reject);
    });
    expect(there).toBe(here);
  });
});
