// A1 and A2: the pre-2017 ->invalidate_page, after the PTL (≤ v4.10) and under it (v4.11).
import { describe, expect, it } from 'vitest';
import afterPtl from '../../models/drivers/invalidate-page-after-ptl.ts';
import underPtl from '../../models/drivers/invalidate-page-under-ptl.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('invalidate-page-after-ptl (A1)', () => {
  it('v4.10: a CPU fault in the window maps a new page while the device keeps the old one (5 steps); no use-after-free', async () => {
    // try_to_unmap_one ≤ v4.10: lock PTL, ptep_clear_flush, put_page, pte_unmap_unlock, and
    // only then mmu_notifier_invalidate_page. The CPU fault takes the free PTL and installs
    // page 1: device on page 0, CPU on page 1. The reclaim path frees page 0 only after the
    // callback returned ("try_to_unmap() must hold a reference on the page"), so no
    // use-after-free. KVM's callback takes only mmu_lock, a spinlock: no sleep, no deadlock.
    expect(await verdicts(afterPtl)).toEqual({ ...ALL_HOLD, [COHERENCE]: 5 });
  });

  it('v4.10 with a KVM vCPU faulting too: still only coherence, at 5 steps', async () => {
    // The vCPU's mmu_notifier_retry sees KVM's seq++ in invalidate_page; it cannot add a
    // use-after-free, and the shortest incoherence is still the CPU fault's.
    expect(await verdicts(afterPtl, { faults: 1 })).toEqual({ ...ALL_HOLD, [COHERENCE]: 5 });
  });

  it('v4.13 (369ea8242c0f): range_start zaps the SPTE before the PTE changes — everything holds', async () => {
    expect(await verdicts(afterPtl, { semantic: 'v4.13' })).toEqual(ALL_HOLD);
    expect(await verdicts(afterPtl, { semantic: 'v4.13', faults: 1 })).toEqual(ALL_HOLD);
  });
});

describe('invalidate-page-under-ptl (A2)', () => {
  it('v4.11: the callback takes a mutex under the PTL (4 steps) and deadlocks with a fault holding it (4 steps)', async () => {
    // After c7ab0d2fdc84 invalidate_page runs inside the page_vma_mapped_walk loop, PTL held:
    // lock PTL, clear, put_page, mutex_lock(&rmn->lock) — "BUG: sleeping function called
    // from invalid context" (Alex Xie's report, Aug 2017). The fault path takes rmn->lock and
    // then the PTL in get_user_pages: fault locks the mutex, reclaim locks the PTL, clears,
    // puts — each now waits for the other's lock.
    expect(await verdicts(underPtl)).toEqual({ ...ALL_HOLD, [SLEEP]: 4, [DEADLOCK]: 4, [PROGRESS]: 4 });
  });

  it('v4.10: the same driver with the callback after pte_unmap_unlock holds', async () => {
    // No spinlock is held when the mutex is taken, and the PTL is never held while waiting
    // for the mutex, so neither the sleep nor the ABBA can happen; the page is freed after
    // the callback, the fault's mapping is zapped by it.
    expect(await verdicts(underPtl, { semantic: 'v4.10' })).toEqual(ALL_HOLD);
  });
});
