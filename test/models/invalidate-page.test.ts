// A1 and A2: the pre-2017 ->invalidate_page, after the PTL (≤ v4.10) and under it (v4.11).
import { describe, expect, it } from 'vitest';
import afterPtl from '../../models/drivers/invalidate-page-after-ptl.ts';
import underPtl from '../../models/drivers/invalidate-page-under-ptl.ts';
import { check } from '../../src/index.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, states, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('invalidate-page-after-ptl (A1)', () => {
  it('v4.10, lazyfree page: a CPU fault in the window maps a new page while the device keeps the old one (7 steps); no use-after-free', async () => {
    // shrink_page_list isolates and locks the clean MADV_FREE page; try_to_unmap_one ≤ v4.10:
    // lock PTL, ptep_clear_flush (the PTE stays none), put_page, pte_unmap_unlock, and only
    // then mmu_notifier_invalidate_page. The CPU write fault finds pte_none and installs page 2
    // (a look under the PTL, then do_anonymous_page): device on page 0, CPU on page 2. Reclaim
    // frees page 0 only after the callback, so no use-after-free. KVM's callback takes only
    // mmu_lock, a spinlock: no sleep, no deadlock.
    const r = await check(afterPtl);
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violation.trace.steps.map((s) => `${s.actor}: ${s.label}`)).toEqual([
      'reclaim: isolate', 'reclaim: lock_ptl', 'reclaim: clear_pte', 'reclaim: put_page', 'reclaim: unlock_ptl', 'cpu: cpu_fault', 'cpu: cpu_fault.alloc(free page)',
    ]);
    expect(await verdicts(afterPtl)).toEqual({ ...ALL_HOLD, [COHERENCE]: 7 });
    expect(await states(afterPtl)).toBe(26);
  });

  it('v4.10, swap-backed page: the window is harmless — the fault waits for the page lock and gets the same page back', async () => {
    // The PTE holds a swap entry; do_swap_page finds page 0 in the swap cache (a reference)
    // and sleeps in lock_page until reclaim, which holds the page lock past invalidate_page,
    // backs off (the fault's reference fails the refcount freeze). It then maps page 0 again.
    // (Before the kernel side modelled reclaim, this model left pte_none here and reported the
    // incoherence on a path the kernel does not take.)
    expect(await verdicts(afterPtl, { path: 'reclaim' })).toEqual(ALL_HOLD);
    expect(await verdicts(afterPtl, { path: 'reclaim', faults: 1 })).toEqual(ALL_HOLD);
    expect([await states(afterPtl, { path: 'reclaim' }), await states(afterPtl, { path: 'reclaim', faults: 1 })]).toEqual([28, 463]);
  });

  it('v4.10 with a KVM vCPU faulting too: still only coherence, at 7 steps', async () => {
    // The vCPU's mmu_notifier_retry sees KVM's seq++ in invalidate_page; it cannot add a
    // use-after-free, and the shortest incoherence is still the CPU fault's.
    expect(await verdicts(afterPtl, { faults: 1 })).toEqual({ ...ALL_HOLD, [COHERENCE]: 7 });
    expect(await states(afterPtl, { faults: 1 })).toBe(598);
  });

  it('v4.13 (369ea8242c0f): range_start zaps the SPTE before the PTE changes — everything holds', async () => {
    expect(await verdicts(afterPtl, { semantic: 'v4.13' })).toEqual(ALL_HOLD);
    expect(await verdicts(afterPtl, { semantic: 'v4.13', faults: 1 })).toEqual(ALL_HOLD);
    expect([await states(afterPtl, { semantic: 'v4.13' }), await states(afterPtl, { semantic: 'v4.13', faults: 1 })]).toEqual([42, 926]);
  });
});

describe('invalidate-page-under-ptl (A2)', () => {
  it('v4.11: the callback takes a mutex under the PTL (5 steps); amdgpu_mn_register allocating under that mutex deadlocks through direct reclaim (10 steps)', async () => {
    // After c7ab0d2fdc84 invalidate_page runs inside the page_vma_mapped_walk loop, PTL held:
    // isolate, lock PTL, clear, put_page, mutex_lock(&rmn->lock) — "BUG: sleeping function
    // called from invalid context" (Alex Xie's report, Aug 2017).
    // amdgpu_mn_register takes rmn->lock and kmallocs its node with GFP_KERNEL: the allocation
    // reclaims the victim page of the same mm, and the invalidate_page it runs in this thread
    // waits for rmn->lock — its own. Reclaim's callback waits for it too: no thread can move.
    const r = await check(underPtl, { allProperties: true });
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    const dl = r.violations.find((v) => v.property === DEADLOCK)!;
    expect(dl.message).toMatch(/register at 'dr\.inv_page\.lock' waits for rmn_lock, which it holds itself/);
    expect(await verdicts(underPtl)).toEqual({ ...ALL_HOLD, [SLEEP]: 5, [DEADLOCK]: 10, [PROGRESS]: 10 });
    expect(await states(underPtl)).toBe(74);
  });

  it('the sleep is the era (v4.10 holds it), the deadlock is the allocation (alloc-first holds it)', async () => {
    // After the PTL (v4.10) the mutex is legal, but the register path still deadlocks (12):
    // the reclaim edge needs no spinlock. Allocating the node before taking rmn->lock, as later
    // kernels do, removes the deadlock in both eras.
    expect(await verdicts(underPtl, { semantic: 'v4.10' })).toEqual({ ...ALL_HOLD, [DEADLOCK]: 12, [PROGRESS]: 12 });
    expect(await verdicts(underPtl, { register: 'alloc-first' })).toEqual({ ...ALL_HOLD, [SLEEP]: 5 });
    expect(await verdicts(underPtl, { semantic: 'v4.10', register: 'alloc-first' })).toEqual(ALL_HOLD);
    const each = [{ semantic: 'v4.10' }, { register: 'alloc-first' }, { semantic: 'v4.10', register: 'alloc-first' }];
    expect(await Promise.all(each.map((p) => states(underPtl, p)))).toEqual([82, 141, 141]);
  });
});
