// A4: a driver that only zaps in invalidate_range_start and never checks a sequence.
import { describe, expect, it } from 'vitest';
import { check } from '../../src/index.ts';
import rangeStartOnly from '../../models/drivers/range-start-only.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, states, verdicts } from './verdicts.ts';

describe('range-start-only (A4)', () => {
  it('MADV_DONTNEED path: the page is freed before range_end, so the first violation is the use-after-free, in 8 steps', async () => {
    // zap_pte_range() fills the mmu_gather batch at address 0 (force_flush), flushes under the
    // PTL and calls tlb_flush_mmu_free() right after pte_unmap_unlock(): page 0 is freed while
    // the walk still has address 1 to zap and range_end is far away. The fault that ran
    // get_user_pages() between range_start and the PTE clear maps page 0 again and drops its
    // reference: range_start, gup, lock, clear, flush+unlock, free_batch, map, put_page.
    const r = await check(rangeStartOnly);
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violation.property).toBe(UAF);
    expect(r.violation.trace.steps.map((s) => s.label)).toEqual(['range_start', 'gup', 'lock_ptl[0]', 'clear_pte[0]', 'flush_unlock[0]', 'free_batch', 'map', 'put_page']);
    expect(r.violation.trace.steps.at(-1)!.changes.some((c) => c.path === 'pages[0].state' && c.after === 'freed')).toBe(true);
  });

  it('MADV_DONTNEED path, every property: the stale SPTE also outlives range_end (11 steps); locks and sleeps are fine', async () => {
    // The same fault, seen at range_end: nothing in the driver's (absent) range_end removes
    // the SPTE, so once range_end returns the device maps a page the CPU no longer maps.
    // The driver sleeps only in range_start (mutex), where no spinlock is held.
    expect(await verdicts(rangeStartOnly)).toEqual({ [UAF]: 8, [COHERENCE]: 11, [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' });
    expect(await states(rangeStartOnly)).toBe(176);
  });

  it('reclaim path (shrink_page_list): the page is freed after range_end, so coherence breaks first (9) and the use-after-free follows (11)', async () => {
    // isolate (page lock, swap cache), range_start, the fault's gup of page 0, the swap
    // entry, range_end, then the fault maps page 0: the SPTE outlives the PTE (9). When the
    // fault drops its reference, __remove_mapping's refcount freeze succeeds and the page is
    // freed with the SPTE still on it (11).
    expect(await verdicts(rangeStartOnly, { path: 'reclaim' })).toEqual({ [UAF]: 11, [COHERENCE]: 9, [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' });
    expect(await states(rangeStartOnly, { path: 'reclaim' })).toBe(79);
  });

  it('two faults: one maps the old page while the other faulted a new one in: different pages at one address (8 steps)', async () => {
    // fault1's get_user_pages after the PTE clear finds pte_none and installs a fresh page
    // (do_anonymous_page: a look under the PTL, then the allocation and install);
    // fault0 still maps the old one it got before: CPU and device disagree even inside the
    // invalidation, which the coherence invariant never excuses.
    expect(await verdicts(rangeStartOnly, { faults: 2 })).toMatchObject({ [UAF]: 8, [COHERENCE]: 8 });
    expect(await states(rangeStartOnly, { faults: 2 })).toBe(2_641);
  });
});
