// The shared seen set's partitions as every probe computes them: a key inserted one way
// (claims, direct insertion, the insert phase) is found every other way, whatever its high
// half — including 0, which the table stores as 1.
import { describe, expect, it } from 'vitest';
import { LevelClaimsView, NEW, OLD, LOWER, newClaims } from '../../src/parallel/level-claims.ts';
import { PartitionedTables } from '../../src/parallel/blocks.ts';
import { partitionOf } from '../../src/parallel/protocol.ts';
import { GrowingSeenSet, MAX_LOAD, GROWTH } from '../../src/parallel/shared-seen-set.ts';

const tablesOf = (parts: GrowingSeenSet[]) => parts.map((p) => p.table.ref);

describe('seen-set partitions', () => {
  it('a high half of 0 falls in the partition of 1, as the table stores it', () => {
    for (const parts of [2, 3, 4]) expect(partitionOf(0, parts)).toBe(partitionOf(1, parts));
  });

  it('keys claimed in a level are found by plain probes, and a key stored directly is old to claims', () => {
    for (const n of [2, 3]) {
      const parts = Array.from({ length: n }, () => new GrowingSeenSet(4096));
      const view = new LevelClaimsView(newClaims(1000, n), tablesOf(parts));
      const keys: [number, number][] = [
        [0, 12345],
        [1, 777],
        [0x80000000 | 0, 99],
        [5, 0],
      ];
      keys.forEach(([hi, lo], i) => expect(view.claim(hi, lo, i, 0, 1), `claim ${hi}/${lo}`).toBe(NEW));
      // Found again in the same level from a later position: a copy that does not hold the claim.
      keys.forEach(([hi, lo], i) => expect(view.claim(hi, lo, i + 10, 0, 1)).not.toBe(NEW));
      const probe = new PartitionedTables(tablesOf(parts));
      for (const [hi, lo] of keys) expect(probe.has(hi, lo), `has ${hi}/${lo}`).toBe(true);
      // Stored directly (a level expanded alone), then met by a level with claims: old.
      const p = partitionOf(0, n);
      expect(parts[p].insertGrowing(0, 4242, MAX_LOAD, GROWTH)).toBe(true);
      expect(view.claim(0, 4242, 0, 1, 1)).toBe(OLD);
      expect(view.claim(0, 4248, 0, 1, 1)).toBe(NEW);
      // A lower (position, action) than the claim: this copy holds it now. (Bits 0-1 of the
      // low half are the level marks, not the key: 4242 and 4243 are one key, 4248 another.)
      expect(view.claim(0, 4248, 0, 0, 1)).toBe(LOWER);
    }
  });
});
