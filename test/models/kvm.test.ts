// A5: KVM's mmu_notifier_seq + mmu_notifier_count, and its three near misses.
import { describe, expect, it } from 'vitest';
import kvm from '../../models/drivers/kvm.ts';
import { check } from '../../src/index.ts';
import { checkMutants } from '../../src/cli/commands/mutants.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('kvm (A5)', () => {
  it('holds with defaults, two vCPUs, and two addresses', async () => {
    // range_start raises mmu_notifier_count and zaps under mmu_lock before the PTE is cleared;
    // range_end bumps mmu_notifier_seq before dropping the count; the fault's
    // mmu_notifier_retry() check and the SPTE install share one mmu_lock section. A pfn from
    // get_user_pages() before the clear is therefore either seen as stale (count or seq) or
    // zapped by a later range_start. Only spinlocks are taken, and never a sleeping step
    // under them (get_user_pages runs with no lock).
    expect(await verdicts(kvm)).toEqual(ALL_HOLD);
    expect(await verdicts(kvm, { faults: 2 })).toEqual(ALL_HOLD);
    expect(await verdicts(kvm, { addresses: 2 })).toEqual(ALL_HOLD);
  });

  it('keeps its state space: 107 states by default, 3,292 with faults=2 attempts=2', async () => {
    // Guards the benchmark configuration: the coherence bookkeeping rides on existing steps.
    const { check } = await import('../../src/index.ts');
    const a = await check(kvm);
    const b = await check(kvm, { params: { faults: 2, attempts: 2 } });
    expect(a.stats.distinctStates).toBe(107);
    expect(b.stats.distinctStates).toBe(3_292);
  });

  it('catches every mutant (KERNEL.md "Mutations"), each with its shortest use-after-free', async () => {
    // seq-in-start: a fault reads the already-bumped seq after range_start, gets the old page
    // before the clear, and passes the check after range_end (count back to 0, seq unchanged).
    // no-seq: the same fault, after the whole invalidation: only the count is checked.
    // count-after-zap: the fault checks between the zap and the late count++.
    // The page is freed by the reclaim path after range_end, so coherence breaks one step
    // before the use-after-free.
    // count-leak (with vCPUs faulting again until they map) breaks progress only: the count
    // stays 1 after range_end, so the vCPU retries forever (test/models/liveness.test.ts).
    const results = await checkMutants(kvm);
    expect(results.map((r) => [r.mutant.name, r.caught, r.traceLength])).toEqual([
      ['seq-in-start', true, 18],
      ['no-seq', true, 18],
      ['count-after-zap', true, 20],
      ['gup-under-mmu-lock', true, 3],
      ['count-leak', true, 20],
    ]);
    for (const r of results.slice(0, 3)) expect(r.violated).toContain(COHERENCE);
    expect(results[4].violated).toEqual([PROGRESS]);
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
});

describe('kvm parameters', () => {
  it('rejects unknown and ill-typed parameters', async () => {
    const bad = await check(kvm, { params: { fault: 2 } });
    expect(bad.status === 'error' && bad.error.message).toMatch(/unknown parameter 'fault' for model 'kvm' \(did you mean 'faults'\?\)/);
    const ill = await check(kvm, { params: { faults: 'many' } });
    expect(ill.status === 'error' && ill.error.message).toMatch(/parameter 'faults' of model 'kvm' must be an integer, got 'many'/);
  });
});
