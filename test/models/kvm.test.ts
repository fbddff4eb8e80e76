import { describe, expect, it } from 'vitest';
import { check } from '../../src/index.ts';
import kvm from '../../models/drivers/kvm.ts';

describe('kvm (A5)', () => {
  it('holds: no use-after-free, no sleep under a spinlock, no deadlock', async () => {
    // A fault maps only if, under mmu_lock, mmu_notifier_count is 0 and mmu_notifier_seq has
    // not moved since it was read before get_user_pages(). An invalidation that started
    // before the check keeps count ≠ 0 until its end, and range_end bumps seq before
    // dropping count, so a page found before the PTE clear is never mapped after it.
    const r = await check(kvm, { params: { addresses: 2, faults: 2, attempts: 1 }, allProperties: true });
    expect(r.status).toBe('holds');
    expect(r.status === 'holds' && r.properties).toEqual(['no use-after-free', 'no sleeping under a spinlock', 'deadlock freedom']);
    expect(r.stats.distinctStates).toBeGreaterThan(10_000);
  });

  it('rejects unknown and ill-typed parameters', async () => {
    const bad = await check(kvm, { params: { fault: 2 } });
    expect(bad.status === 'error' && bad.error.message).toMatch(/unknown parameter 'fault' for model 'kvm' \(did you mean 'faults'\?\)/);
    const ill = await check(kvm, { params: { faults: 'many' } });
    expect(ill.status === 'error' && ill.error.message).toMatch(/parameter 'faults' of model 'kvm' must be an integer, got 'many'/);
  });
});
