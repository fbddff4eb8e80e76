// A7: the driver pins pages and drops the pin in invalidate_range_end.
import { describe, expect, it } from 'vitest';
import pinning from '../../models/drivers/page-pinning.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, states, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('page-pinning (A7)', () => {
  it('MADV_DONTNEED: no use-after-free, but the CPU maps a new page while the device keeps the pinned old one (6 steps)', async () => {
    // mmu_notifier.h: "If the refcount is only droppped on invalidate_range_end() ... Pages
    // will no longer be referenced by the linux address space but may still be referenced by
    // sptes until the last refcount is dropped." The pin keeps page 0 alive (the batch's put
    // is not the last), but the zap leaves pte_none and a CPU write fault installs a fresh
    // page before range_end: range_start, lock, clear, flush+unlock, cpu_fault, alloc.
    expect(await verdicts(pinning)).toEqual({ ...ALL_HOLD, [COHERENCE]: 6 });
    expect(await verdicts(pinning, { path: 'lazyfree' })).toEqual({ ...ALL_HOLD, [COHERENCE]: 8 });
    expect([await states(pinning), await states(pinning, { path: 'lazyfree' })]).toEqual([20, 24]);
  });

  it('reclaim of a swap-backed page and migration hold: the pin makes them keep the page, and the CPU gets it back', async () => {
    // __remove_mapping cannot freeze the refcount while the pin exists: the page stays in the
    // swap cache, and do_swap_page maps the same page. Migration's refcount check fails and
    // remove_migration_ptes puts the old page back. (Before the kernel side modelled reclaim
    // this model left pte_none on reclaim and reported the incoherence there.)
    expect(await verdicts(pinning, { path: 'reclaim' })).toEqual(ALL_HOLD);
    expect(await verdicts(pinning, { path: 'migrate' })).toEqual(ALL_HOLD);
    expect([await states(pinning, { path: 'reclaim' }), await states(pinning, { path: 'migrate' })]).toEqual([27, 41]);
  });

  it('with a pinning fault thread (no sequence check) the pin still prevents any use-after-free', async () => {
    // A fault that pinned page 0 before the clear may map it after range_end: stale, but the
    // pin it holds keeps the page from being freed.
    expect(await verdicts(pinning, { faults: 1 })).toMatchObject({ [UAF]: 'holds', [COHERENCE]: 6 });
    expect(await states(pinning, { faults: 1 })).toBe(243);
  });
});
