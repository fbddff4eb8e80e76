// A5: KVM's mmu_notifier_seq + mmu_notifier_count on every invalidating path, and its near misses.
import { describe, expect, it } from 'vitest';
import kvm from '../../models/drivers/kvm.ts';
import { PATHS } from '../../models/mm/index.ts';
import { check } from '../../src/index.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, states, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('kvm (A5)', () => {
  it('holds with defaults, two vCPUs, and two addresses, on the reclaim of a swap-backed page', async () => {
    // range_start raises mmu_notifier_count, zaps and flushes the vCPUs' TLBs under mmu_lock
    // before the PTE changes; range_end bumps mmu_notifier_seq before dropping the count; the
    // fault's mmu_notifier_retry() check and the SPTE install share one mmu_lock section. A pfn
    // from get_user_pages() before the swap entry is therefore seen as stale (count or seq) or
    // zapped by a later range_start. get_user_pages sleeps only with no spinlock held — also
    // when it waits for reclaim's page lock in do_swap_page or reclaims the victim itself,
    // running KVM's callbacks in the vCPU thread (mmu_lock is free there).
    expect(await verdicts(kvm)).toEqual(ALL_HOLD);
    expect(await verdicts(kvm, { faults: 2 })).toEqual(ALL_HOLD);
    expect(await verdicts(kvm, { addresses: 2 })).toEqual(ALL_HOLD);
    expect([await states(kvm, { faults: 2 }), await states(kvm, { addresses: 2 })]).toEqual([2_716, 4_365]);
  });

  it('holds on every invalidating path', async () => {
    for (const path of PATHS) expect([path, await verdicts(kvm, { path })]).toEqual([path, ALL_HOLD]);
  });

  it('default state count 163 (was 107 before the kernel side modelled reclaim); path=classic keeps the benchmark state space: 107, and 3,292 with faults=2 attempts=2', async () => {
    // The default now runs shrink_page_list (isolate + page lock, swap entry, __remove_mapping
    // freeze or back-off) and the vCPU's gup can meet the swap entry (do_swap_page), allocate
    // a swapped-out page back (with the choice of direct reclaim of the victim page, running
    // KVM's range_start/end in the vCPU thread). path=classic is the pre-issue-19 kernel side
    // the throughput benchmark and its SPIN twin measure (models/mm/classic.ts).
    expect((await check(kvm)).stats.distinctStates).toBe(163);
    expect((await check(kvm, { params: { path: 'classic' } })).stats.distinctStates).toBe(107);
    expect((await check(kvm, { params: { path: 'classic', faults: 2, attempts: 2 } })).stats.distinctStates).toBe(3_292);
  });

  it('catches every mutant, each with its shortest counterexample', async () => {
    // seq-in-start: the vCPU reads the already-bumped seq after range_start, gets the old page
    // before the swap entry, and passes the check after range_end (count back to 0, seq
    // unchanged) — coherence at the map (18), the use-after-free once reclaim freezes and
    // frees the page (19). no-seq: the same fault after the whole invalidation. count-after-
    // zap: the fault checks between the zap and the late count++. gup-under-mmu-lock: a sleep
    // under the spinlock at the gup (3). seq-after-gup: the page found before the swap entry
    // passes a check whose seq was read after range_end (19). zap-in-end / flush-in-end on
    // MADV_DONTNEED: the batch frees the page before range_end, while the SPTE (or the vCPUs'
    // TLB) still reaches it (12, 14). count-leak (with vCPUs faulting again until they map)
    // breaks progress only: the count stays 1 after range_end, so the vCPU retries forever
    // (test/models/liveness.test.ts); its lasso: 17 steps to the loop, a loop of 5.
    const results = await checkMutants(kvm);
    expect(results.map((r) => [r.mutant.name, r.caught, r.traceLength])).toEqual([
      ['seq-in-start', true, 19],
      ['no-seq', true, 19],
      ['count-after-zap', true, 22],
      ['gup-under-mmu-lock', true, 3],
      ['seq-after-gup', true, 19],
      ['zap-in-end', true, 12],
      ['flush-in-end', true, 14],
      ['count-leak', true, 22],
    ]);
    expect(results[7].violated).toEqual([PROGRESS]);
  });

  it('gup-under-mmu-lock: get_user_pages may sleep, so calling it under the mmu_lock spinlock is caught in 3 steps', async () => {
    // Before get_user_pages said it may sleep (down_read(mmap_sem), the page allocation of a
    // fault-in), a vCPU taking mmu_lock first and calling gfn_to_pfn under it passed every
    // check: the retry logic is still right, only the context is wrong. The kernel prints
    // "sleeping function called from invalid context"; the checker now reports it at the gup.
    const r = await check(kvm, { params: { mutant: 'gup-under-mmu-lock' } });
    expect(r.status).toBe('violated');
    if (r.status !== 'violated') return;
    expect(r.violation.property).toBe(SLEEP);
    expect(r.violation.trace.steps.map((s) => s.label)).toEqual(['read_seq(0)', 'lock', 'gup']);
  });

  it('zap-in-end and flush-in-end hold where the page outlives range_end: only a path that frees earlier catches them', async () => {
    // On reclaim the page is freed after try_to_unmap_one returns (after range_end), and a
    // refault finds the same page in the swap cache; on migration the old page is freed after
    // the copy. A driver that zaps or flushes in range_end is then late but harmless: the
    // path parameter is what exposes it (MADV_DONTNEED frees the batch before range_end).
    for (const mutant of ['zap-in-end', 'flush-in-end']) {
      for (const path of ['reclaim', 'migrate']) expect([mutant, path, await verdicts(kvm, { mutant, path })]).toEqual([mutant, path, ALL_HOLD]);
    }
  });
});

describe('kvm parameters', () => {
  it('rejects unknown and ill-typed parameters', async () => {
    const bad = await check(kvm, { params: { fault: 2 } });
    expect(bad.status === 'error' && bad.error.message).toMatch(/unknown parameter 'fault' for model 'kvm' \(did you mean 'faults'\?\)/);
    const ill = await check(kvm, { params: { faults: 'many' } });
    expect(ill.status === 'error' && ill.error.message).toMatch(/parameter 'faults' of model 'kvm' must be an integer, got 'many'/);
  });
});
