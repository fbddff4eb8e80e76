// A3: THP changed as a whole, the driver told about one subpage.
import { describe, expect, it } from 'vitest';
import thp from '../../models/drivers/thp-invalidate-page.ts';
import { COHERENCE, DEADLOCK, PROGRESS, SLEEP, UAF, WRPROTECT, verdicts } from './verdicts.ts';

const ALL_HOLD = { [UAF]: 'holds', [COHERENCE]: 'holds', [WRPROTECT]: 'holds', [SLEEP]: 'holds', [DEADLOCK]: 'holds', [PROGRESS]: 'holds' };

describe('thp-invalidate-page (A3)', () => {
  it('mkclean: the PMD is write-protected but only subpage 0 is invalidated: subpage 1 stays writable (2 steps)', async () => {
    // page_mkclean_one's PMD branch (v4.11): pmd_lock; pmdp_huge_clear_flush; pmd_wrprotect;
    // set_pmd_at — then invalidate_page(address): gntdev's mn_invl_page unmaps
    // [address, address + PAGE_SIZE) only. From the write-protect on, the device can write
    // subpage 1 with no notification ever coming: both the write-protect and the coherence
    // invariants break at step 2. The PMD lock and gntdev's priv->lock are spinlocks.
    expect(await verdicts(thp)).toEqual({ ...ALL_HOLD, [COHERENCE]: 2, [WRPROTECT]: 2 });
  });

  it('unmap (PageHuge): subpage 1 stays mapped in the device, and is freed (5 steps)', async () => {
    // huge_ptep_clear_flush clears every subpage at step 2 (coherence); after
    // invalidate_page(address 0), unlock and the reclaim path's put_page the compound page
    // is freed with subpage 1 still in the device's page table.
    expect(await verdicts(thp, { op: 'unmap' })).toEqual({ ...ALL_HOLD, [UAF]: 5, [COHERENCE]: 2 });
  });

  it('fixed (369ea8242c0f, range over PAGE_SIZE << compound_order): holds for mkclean and unmap', async () => {
    expect(await verdicts(thp, { fixed: true })).toEqual(ALL_HOLD);
    expect(await verdicts(thp, { op: 'unmap', fixed: true })).toEqual(ALL_HOLD);
  });

  it('split-unmap: split_huge_pmd first, then a per-PTE invalidate_page is right even unfixed', async () => {
    // __split_huge_pmd brackets the split with range_start/end over the whole PMD; the
    // subpage is then unmapped through its own PTE and invalidate_page names its address.
    expect(await verdicts(thp, { op: 'split-unmap' })).toEqual(ALL_HOLD);
  });
});
