// A huge page changed as a whole while the notifier names one 4 KiB page of it (docs/kernel.md
// A3): KVM mapping a hugetlbfs page with 4 KiB SPTEs keeps the other subpages after the page
// is migrated away and freed.
//
// Kernel side (models/mm/thp.ts; mm/rmap.c, mm/migrate.c):
//   op=migrate (default): migration of a hugetlbfs page (mbind, move_pages, memory offline):
//     unmap_and_move_huge_page() → try_to_unmap_one(PageHuge): under the huge PTE lock,
//     huge_ptep_clear_flush, a migration entry, page_remove_rmap, put_page, and in
//     v4.11–v4.12 mmu_notifier_invalidate_page(mm, address) — one subpage of the whole huge
//     mapping; then copy, remove_migration_ptes (the new page), unlock_page, and the old
//     huge page is freed.
//   op=split-unmap: what try_to_unmap does for a PMD-mapped THP (TTU_SPLIT_HUGE_PMD):
//     split_huge_pmd first (range_start/end over the whole PMD), then reclaim unmaps subpage
//     1 through its own PTE with the v4.11 invalidate_page(address of that PTE) — a
//     single-address call is right for a PTE, so this holds even unfixed.
//   fixed=true: 369ea8242c0f — range_start/range_end over [start, start + (PAGE_SIZE <<
//     compound_order(page))).
// Driver: KVM (virt/kvm/kvm_main.c ≤ v4.13-rc kvm_mmu_notifier_invalidate_page →
//   kvm_unmap_hva(kvm, address): the SPTEs of that one hva, at every level; fixed: the range
//   callbacks of kvm.ts). KVM maps a huge page with 4 KiB SPTEs when the memslot's guest and
//   host addresses are not equally aligned, and for every page while dirty logging is on
//   (live migration); the model's device maps both subpages writable, 4 KiB each.
// The merge message of the 2017 series (ea25c4317946) names this pitfall: callback
// implementers "assumed this could never be THP and thus failed to invalidate the appropriate
// range for THP pages". Earlier versions of this model used Xen gntdev's mn_invl_page, but
// grant mappings are never huge, and gntdev's range_start took a mutex in v4.11–v4.13 (a
// sleep under the huge PTE lock, not this bug).
import { defineModel, bool, oneOf, threadModel } from '../../src/index.ts';
import { COHERENCE, expectations, initialMm, migrateHuge, mmInvariants, mmLocks, NO_USE_AFTER_FREE, PAGE_STATES, shrinkPage, splitHugePmd } from '../mm/index.ts';
import { KVM_FIELDS, MMU_LOCK, kvmNotifier, type KvmState } from './kvm.ts';
import { kvmInvalidatePage } from './invalidate-page-after-ptl.ts';

type S = KvmState;
const SUBPAGES = 2;

export default defineModel({
  name: 'thp-invalidate-page',
  summary: 'a hugetlbfs page migrated while invalidate_page names one subpage, KVM with 4 KiB SPTEs (A3): the other SPTE reaches the freed page',
  description: `
A huge page of two subpages is mapped by one huge PTE; KVM maps both subpages with 4 KiB
SPTEs, writable. op=migrate: migration replaces the huge PTE by a migration entry and calls
invalidate_page for the first subpage only, so KVM keeps the second subpage's SPTE while the
CPU maps the migration entry, then the new page, and the old page is freed. op=split-unmap:
splitting the PMD first makes the per-PTE invalidate_page correct. fixed=true: the notifier
range covers the whole compound page (369ea8242c0f).`,
  kernel: {
    functions: ['try_to_unmap_one', 'unmap_and_move_huge_page', 'huge_ptep_clear_flush', 'mmu_notifier_invalidate_page', 'kvm_mmu_notifier_invalidate_page', 'kvm_unmap_hva', '__split_huge_pmd'],
    files: ['mm/rmap.c', 'mm/migrate.c', 'mm/huge_memory.c', 'virt/kvm/kvm_main.c'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2 (compute end with PAGE_SIZE << compound_order(page))', 'ea25c4317946 Merge mmu_notifier fixes from Jérôme Glisse'],
  },
  params: {
    op: oneOf(['migrate', 'split-unmap'], 'migrate', 'migrate a hugetlbfs page; or split a THP PMD, then reclaim one subpage'),
    fixed: bool(false, 'notify the whole compound page range (369ea8242c0f)'),
  },
  expect: expectations([NO_USE_AFTER_FREE, COHERENCE]),
  variants: [
    { params: { fixed: true }, expect: expectations([]) },
    { params: { op: 'split-unmap' }, expect: expectations([]) },
    { params: { op: 'split-unmap', fixed: true }, expect: expectations([]) },
  ],
  build: ({ op, fixed }) => {
    // KVM registered invalidate_page beside its range callbacks until v4.13.
    const ops = fixed ? kvmNotifier() : { ...kvmNotifier(), ...kvmInvalidatePage() };
    // Subpages 0 and 1, the victim (unused: no driver allocation here), and two more pages
    // (the migration target, or one spare).
    return threadModel<S>({
      name: 'thp-invalidate-page',
      shared: initialMm(SUBPAGES, SUBPAGES, KVM_FIELDS, { deviceMapped: true, huge: true, victim: true }),
      strings: PAGE_STATES,
      locks: { ...mmLocks({ addresses: SUBPAGES + 1, pages: 2 * SUBPAGES + 1 }), [MMU_LOCK]: 'spinlock' },
      threads: [
        op === 'migrate'
          ? { name: 'migrate', locals: null, steps: migrateHuge<typeof KVM_FIELDS>(SUBPAGES, SUBPAGES + 1, ops, { era: fixed ? 'v4.13' : 'v4.11' }) }
          : { name: 'reclaim', locals: null, steps: [...splitHugePmd<typeof KVM_FIELDS>(SUBPAGES, ops), ...shrinkPage<typeof KVM_FIELDS>(1, 1, ops, { era: fixed ? 'v4.15' : 'v4.11' })] },
      ],
      invariants: mmInvariants(),
    });
  },
});
