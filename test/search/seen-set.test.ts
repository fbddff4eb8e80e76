// The shared seen set's partitions as every probe computes them: a key inserted one way
// (claims, direct insertion, the insert phase) is found every other way, whatever its high
// half — including 0, which the table stores as 1.
import { describe, expect, it } from 'vitest';
import { HIGHER, LevelClaimsView, NEW, OLD, LOWER, newClaims } from '../../src/search/level-claims.ts';
import { DirectDedupe, PartitionedTables } from '../../src/search/blocks.ts';
import { GrowingSeenSet, MAX_LOAD, GROWTH, partitionOf } from '../../src/search/shared-seen-set.ts';

const tablesOf = (parts: GrowingSeenSet[]) => parts.map((p) => p.table.ref);

describe('seen-set partitions', () => {
  it('a high half of 0 falls in the partition of 1, as the table stores it', () => {
    for (const parts of [2, 3, 4]) expect(partitionOf(0, parts)).toBe(partitionOf(1, parts));
  });

  it('keys claimed in a level are old to claims once settled, found by plain probes; a key stored directly is old to claims', () => {
    for (const n of [2, 3]) {
      const parts = Array.from({ length: n }, () => new GrowingSeenSet(4096));
      const view = new LevelClaimsView(newClaims(1000, n)!, tablesOf(parts));
      const keys: [number, number][] = [
        [0, 12345],
        [1, 777],
        [0x80000000 | 0, 99],
        [5, 0],
      ];
      const entries = keys.map(([hi, lo], i) => {
        expect(view.claim(hi, lo, i, 0), `claim ${hi}/${lo}`).toBe(NEW);
        return view.entry;
      });
      expect(new Set(entries).size).toBe(keys.length);
      // Found again in the same level from a later position: a copy that does not hold the claim.
      keys.forEach(([hi, lo], i) => expect(view.claim(hi, lo, i + 10, 0)).toBe(HIGHER));
      // A claimed slot holds its entry, not its key: a plain probe must not read it as a key.
      const probe = new PartitionedTables(tablesOf(parts));
      expect(() => probe.has(keys[0][0], keys[0][1])).toThrow(/claim entry/);
      // Settling: only the (position, action) of the final claim settles, and puts the key back.
      keys.forEach(([hi], i) => expect(view.settle(entries[i], ((i + 10) << 8) >>> 0, hi)).toBe(false));
      keys.forEach(([hi], i) => expect(view.settle(entries[i], (i << 8) >>> 0, hi)).toBe(true));
      for (const [hi, lo] of keys) expect(probe.has(hi, lo), `has ${hi}/${lo}`).toBe(true);
      const next = new LevelClaimsView(newClaims(1000, n)!, tablesOf(parts));
      for (const [hi, lo] of keys) expect(next.claim(hi, lo, 0, 0)).toBe(OLD);
      // Stored directly (a level expanded alone), then met by a level with claims: old.
      const p = partitionOf(0, n);
      expect(parts[p].insertGrowing(0, 4242, MAX_LOAD, GROWTH)).toBe(true);
      expect(next.claim(0, 4242, 0, 1)).toBe(OLD);
      expect(next.claim(0, 4248, 3, 1)).toBe(NEW);
      const e = next.entry;
      // A lower (position, action) than the claim: this copy holds it now, on the same entry.
      // (Bits 0-1 of the low half are not part of the key: 4248 and 4249 are one key.)
      expect(next.claim(0, 4249, 2, 0)).toBe(LOWER);
      expect(next.entry).toBe(e);
      expect(next.claim(0, 4248, 2, 5)).toBe(HIGHER);
      expect(next.settle(e, (3 << 8) | 1, 0)).toBe(false);
      expect(next.settle(e, 2 << 8, 0)).toBe(true);
      expect(probe.has(0, 4248)).toBe(true);
    }
  });

  it('a level whose entries run out is abandoned without publishing a slot', () => {
    const parts = [new GrowingSeenSet(1 << 16)];
    // Room for 1 new state: the entries are that and a few chunks of slack.
    const view = new LevelClaimsView(newClaims(1, 1)!, tablesOf(parts));
    let n = 0;
    while (!view.overflow && n < 100000) if (view.claim(n + 1, 4 * (n + 1), n, 0) === NEW) n++;
    expect(view.overflow).toBe(true);
    expect(view.abandoned).toBe(true);
    // Every slot taken was published (no reader would wait on it), and all are claimed.
    const w = parts[0].table.words;
    let claimed = 0;
    for (let i = 0; i < w.length; i += 2) {
      if (w[i] === 0) continue;
      expect(w[i + 1]).not.toBe(0);
      claimed++;
    }
    expect(claimed).toBe(n);
    expect(view.inserted[0]).toBe(n);
    // As the search does: counted, then taken out again.
    parts[0].count += n;
    parts[0].rebuildWithoutClaimed(parts[0].table.capacity);
    expect(parts[0].count).toBe(0);
  });

  it("a level expanded alone admits each key's first occurrence only, whatever its table of recent keys holds", () => {
    // Keys drawn from a small pool, so most repeat: some while still among the recent keys,
    // others after being pushed out of them; 0 halves are the keys (1, ·) and (·, 4) as stored.
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) | 0);
    const pool = Array.from({ length: 20000 }, (_, i): [number, number] => (i < 4 ? [[0, 1, 5, 0][i], [0, 4, 0, 8][i]] : [next(), next() & ~3]));
    for (const n of [1, 3]) {
      const parts = Array.from({ length: n }, () => new GrowingSeenSet(1024));
      const dedupe = new DirectDedupe(parts, MAX_LOAD, GROWTH, Infinity);
      const seen = new Set<string>();
      let admitted = 0;
      for (let t = 0; t < 200000; t++) {
        const [hi, lo] = pool[(next() >>> 0) % (t < 100000 ? 5000 : pool.length)];
        const key = `${hi || 1},${lo || 4}`;
        const expected = !seen.has(key);
        seen.add(key);
        if (dedupe.admit(hi, lo, t, 0) !== expected) throw new Error(`key ${key} at ${t}: admitted ${!expected}`);
        if (expected) admitted++;
      }
      expect(admitted).toBe(seen.size);
      expect(parts.reduce((c, p) => c + p.count, 0)).toBe(seen.size);
    }
  });
});
