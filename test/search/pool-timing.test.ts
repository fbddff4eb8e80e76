// When a search starts its own pool and which levels it shares (search-pool.ts): a search too
// short or whose levels stay short never pays for threads it cannot earn back (kvm 2/2/2 took
// 0.52-0.59 s with 1 worker and 0.89-0.98 s with 2 when its pool started at 0.25 s), a long
// one starts them once its levels are long enough to share.
import { describe, expect, it } from 'vitest';
import { poolTiming, timeToStart, worthSharing } from '../../src/search/search-pool.ts';

describe('poolTiming', () => {
  const defaults = poolTiming({});

  it('starts the pool only after 1 s, once a level is expected to take 80 ms on one thread', () => {
    // kvm 2/2/2's largest level: 19,188 states at ~1.2 µs a state (~23 ms): never.
    expect(timeToStart(defaults, 1500, 19_188, 0.0012)).toBe(false);
    // kvm 2/2/4's largest, 68,416 states at ~0.67 µs (46 ms): never (its pool cost more than it saved).
    expect(timeToStart(defaults, 1200, 68_416, 0.00067)).toBe(false);
    // kvm 2/3/2's levels of 200,000 states at ~0.7 µs (140 ms), after 1 s: yes; before, not yet.
    expect(timeToStart(defaults, 1000, 200_000, 0.0007)).toBe(true);
    expect(timeToStart(defaults, 900, 200_000, 0.0007)).toBe(false);
    // An Immutable model's level of 2,048 states at 40 µs a state (82 ms): yes; of 1,000: too few states.
    expect(timeToStart(defaults, 1000, 2048, 0.04)).toBe(true);
    expect(timeToStart(defaults, 1000, 1000, 0.04)).toBe(false);
    // No level measured yet (cost 0): no start.
    expect(timeToStart(defaults, 1000, 100_000, 0)).toBe(false);
  });

  it('shares a level only when it is expected to take 8 ms alone', () => {
    // kvm's last levels: 2,790 states at ~0.7 µs (2 ms) stay on this thread; 11,650 (8.2 ms) are shared.
    expect(worthSharing(defaults, 2790, 0.0007)).toBe(false);
    expect(worthSharing(defaults, 11_650, 0.0007)).toBe(true);
  });

  it('lets tests send every level through the threads', () => {
    // MMCHECK_WAIT_FOR_POOL=1: the pool starts at once and shares any level of 2,048 states.
    const wait = poolTiming({ waitForPool: true });
    expect(timeToStart(wait, 0, 0, 0)).toBe(true);
    expect(worthSharing(wait, 2048, 0)).toBe(true);
    // A level size given: its levels are shared whatever they cost; start as given.
    expect(worthSharing(poolTiming({ minSharedLevel: 1 }), 1, 0)).toBe(true);
    const given = poolTiming({ startPool: { afterMs: 0, level: 0, joinMs: 0 } });
    expect(timeToStart(given, 0, 1, 0)).toBe(true);
    expect(given.shareMs).toBe(0);
  });
});
