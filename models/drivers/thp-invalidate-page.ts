// THP + a single-address invalidation (KERNEL.md A3): a huge mapping changes as a whole but
// the pre-2017 invalidate_page(address) tells the driver about one 4 KiB page of it.
//
// Kernel side (models/mm/mkclean.ts, models/mm/thp.ts):
//   op=mkclean: page_mkclean_one's PMD branch after Kirill Shutemov's v4.11 conversion:
//     under the PMD lock: pmdp_huge_clear_flush; pmd_wrprotect; pmd_mkclean; set_pmd_at;
//     mmu_notifier_invalidate_page(vma->vm_mm, address)  — one subpage, under the lock.
//   op=unmap: try_to_unmap_one on a PageHuge page (one huge entry), v4.11: huge_ptep_clear_flush;
//     page_remove_rmap; put_page; invalidate_page(address) under the lock; the page is freed.
//   op=split-unmap: what try_to_unmap does for a THP (TTU_SPLIT_HUGE_PMD): split_huge_pmd
//     first (range_start/end over the whole PMD), then unmap subpage 1 through its own PTE
//     with the v4.11 invalidate_page(address of that PTE) -- the single-address call is right
//     for a PTE, so this holds even unfixed.
//   fixed=true: 369ea8242c0f — range_start/range_end over [start, start + (PAGE_SIZE <<
//     compound_order(page))) (and, for mkclean in v4.13/4.14, invalidate_range over the PMD).
// Driver: Xen gntdev's pre-2017 mn_invl_page (drivers/xen/gntdev.c), which did exactly
//   mn_invl_range_start(mn, mm, address, address + PAGE_SIZE), with the older
//   spin_lock(&priv->lock) (so no sleeping under the PMD lock here); its fixed ops keep only
//   invalidate_range_start. The device has both subpages mapped writable at the start.
import { defineModel, bool, oneOf, threadModel, type Step } from '../../src/index.ts';
import { expectations, COHERENCE, NO_WRITABLE_AFTER_WRPROTECT, keysOf, spteKeys, clearSptes, initialMm, mmInvariants, pageMkcleanOne, PMD_LOCK, ptl, splitHugePmd, tryToUnmapHuge, tryToUnmapOne, type MmState, type NotifierOps, PAGE_STATES } from '../mm/index.ts';

type S = MmState;
const PRIV_LOCK = 'priv_lock';
const SUBPAGES = 2;

const unmapRange = (label: string, kernel: string, start: number, end: number): Step<S, any>[] => [
  {
    label,
    kernel,
    note: `spin_lock(&priv->lock); unmap the grants of [${start}, ${end}) (SPTE := none); spin_unlock`,
    acquire: PRIV_LOCK,
    release: PRIV_LOCK,
    reads: keysOf('spte', start, end),
    writes: spteKeys(start, end),
    do: ({ shared }) => ({ shared: clearSptes(shared, start, end) }),
  },
];

const gntdevOps: NotifierOps<S> = {
  invalidatePage: (v) => unmapRange('mn_invl_page', 'mn_invl_page', v, v + 1),
  invalidateRangeStart: (start, end) => unmapRange('mn_invl_range_start', 'mn_invl_range_start', start, end),
};

export default defineModel({
  name: 'thp-invalidate-page',
  summary: 'THP changed as a whole, driver told about one subpage by invalidate_page (A3): writable SPTE survives',
  description: `
A THP of two subpages is mapped by one PMD; the device maps both subpages writable.
op=mkclean: page_mkclean_one write-protects the whole PMD but calls invalidate_page for the
first subpage only, so the device keeps writing the second subpage behind dirty tracking.
op=unmap: unmapping a huge page the same way leaves the second subpage mapped in the device
after the page is freed. op=split-unmap: splitting the PMD first makes the per-PTE
invalidate_page correct. fixed=true: the notifier range covers the whole compound page.`,
  kernel: {
    functions: ['page_mkclean_one', 'try_to_unmap_one', 'pmdp_huge_clear_flush', 'mmu_notifier_invalidate_page', 'mn_invl_page'],
    files: ['mm/rmap.c', 'drivers/xen/gntdev.c'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2 (compute end with PAGE_SIZE << compound_order(page))'],
  },
  params: {
    op: oneOf(['mkclean', 'unmap', 'split-unmap'], 'mkclean', 'write-protect the THP; unmap and free a huge page; or split the PMD, then unmap one subpage'),
    fixed: bool(false, 'notify the whole compound page range (369ea8242c0f)'),
  },
  expect: expectations([COHERENCE, NO_WRITABLE_AFTER_WRPROTECT]),
  build: ({ op, fixed }) =>
    threadModel<S>({
      name: 'thp-invalidate-page',
      shared: initialMm(SUBPAGES, 0, {}, { deviceMapped: true, huge: true }),
      strings: PAGE_STATES,
      locks: { [PMD_LOCK]: 'spinlock', [PRIV_LOCK]: 'spinlock', [ptl(1)]: 'spinlock' },
      threads: [
        op === 'mkclean'
          ? { name: 'writeback', locals: null, steps: pageMkcleanOne(0, gntdevOps, { era: fixed ? 'v4.15' : 'v4.11', huge: SUBPAGES }) }
          : op === 'unmap'
            ? { name: 'reclaim', locals: null, steps: tryToUnmapHuge(SUBPAGES, gntdevOps, fixed) }
            : { name: 'reclaim', locals: null as number | null, steps: [...splitHugePmd(SUBPAGES, gntdevOps), ...tryToUnmapOne(1, gntdevOps, { era: fixed ? 'v4.13' : 'v4.11' })] },
      ],
      invariants: mmInvariants(),
    }),
});
