// A3: a hugetlbfs page changed as a whole, KVM told about one subpage.
import { describe, expect, it } from 'vitest';
import thp from '../../models/drivers/thp-invalidate-page.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, states as statesOf, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

const states = (params: Record<string, unknown>) => statesOf(thp, params);

describe('thp-invalidate-page (A3)', () => {
  it('migrate (hugetlbfs, v4.11): subpage 1 stays in KVM once invalidate_page(address 0) returns (5 steps) and after the old page is freed (11 steps)', async () => {
    // lock_page; under the huge PTE lock the whole huge PTE becomes a migration entry at step
    // 3, and invalidate_page(address 0) makes KVM zap only the 4 KiB SPTE of address 0
    // (inv_page.lock, inv_page.zap): when it returns, spte[1] maps old subpage 1 while the CPU
    // has a migration entry there, and nothing will tell KVM about address 1 (coherence).
    // unlock, the refcount check, copy, remove_migration_ptes, unlock_page and put_page free the
    // old huge page with spte[1] still on it (use-after-free).
    expect(await verdicts(thp)).toEqual({ ...ALL_HOLD, [COHERENCE]: 5, [UAF]: 11 });
    expect(await states({})).toBe(12);
  });

  it('fixed (369ea8242c0f, range over PAGE_SIZE << compound_order): holds', async () => {
    expect(await verdicts(thp, { fixed: true })).toEqual(ALL_HOLD);
    expect(await states({ fixed: true })).toBe(18);
  });

  it('split-unmap: split_huge_pmd first, then a per-PTE invalidate_page is right even unfixed', async () => {
    // __split_huge_pmd brackets the split with range_start/end over the whole PMD; reclaim
    // then unmaps subpage 1 through its own PTE and invalidate_page names its address.
    expect(await verdicts(thp, { op: 'split-unmap' })).toEqual(ALL_HOLD);
    expect(await verdicts(thp, { op: 'split-unmap', fixed: true })).toEqual(ALL_HOLD);
    expect([await states({ op: 'split-unmap' }), await states({ op: 'split-unmap', fixed: true })]).toEqual([18, 24]);
  });
});
