// How a level is cut into ranges (levelRanges, protocol.ts): every position in exactly one
// range, in order; one thread gets equal ranges; several get guided ranges, long while much
// of the level is left and short at its end.
import { describe, expect, it } from 'vitest';
import { levelRanges } from '../../src/search/protocol.ts';

function sizes(starts: Int32Array): number[] {
  const out: number[] = [];
  for (let r = 0; r + 1 < starts.length; r++) out.push(starts[r + 1] - starts[r]);
  return out;
}

describe('levelRanges', () => {
  it('covers the level in order, with no empty range', () => {
    for (const size of [1, 2, 255, 256, 1000, 4096, 4097, 100_000, 1_234_567]) {
      for (const threads of [1, 2, 4]) {
        const starts = levelRanges(size, threads, 256, 4096);
        expect(starts[0]).toBe(0);
        expect(starts[starts.length - 1]).toBe(size);
        for (const s of sizes(starts)) {
          expect(s).toBeGreaterThan(0);
          expect(s).toBeLessThanOrEqual(threads === 1 ? 4096 : 4096 + 128);
        }
      }
    }
  });

  it('gives one thread equal ranges of at most the longest', () => {
    const s = sizes(levelRanges(10_000, 1, 256, 4096));
    expect(s).toEqual([3333, 3333, 3334]);
  });

  it('gives several threads long ranges first and short ones at the end', () => {
    const s = sizes(levelRanges(200_000, 2, 500, 4096));
    // While more than GUIDE × threads × 4096 states are left, ranges are the longest.
    expect(s.slice(0, 10)).toEqual(Array(10).fill(4096));
    // They shrink as the level runs out, never below the shortest but for the last.
    for (let r = 1; r < s.length; r++) expect(s[r]).toBeLessThanOrEqual(s[r - 1] + (r === s.length - 1 ? 250 : 0));
    expect(Math.min(...s)).toBe(500);
    // The last ranges are about the shortest (the very last may take a sliver of under half).
    for (const t of s.slice(-3, -1)) expect(t).toBe(500);
    expect(s[s.length - 1]).toBeGreaterThanOrEqual(500);
    expect(s[s.length - 1]).toBeLessThan(750);
    // Far fewer ranges than cutting all of it short.
    expect(s.length).toBeLessThan(200_000 / 500 / 4);
  });
});
