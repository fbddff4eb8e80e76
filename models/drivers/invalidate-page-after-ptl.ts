// invalidate_page after the PTL is released (≤ v4.10 try_to_unmap_one; docs/kernel.md A1):
// on the lazyfree path, coherence violated; no use-after-free. On the swap path it holds.
//
// Kernel side, mm/rmap.c try_to_unmap_one() ≤ v4.10 (models/mm/try-to-unmap.ts, era v4.10):
//   page_check_address() takes the PTL; ptep_clear_flush; a MADV_FREE page that is clean
//   (TTU_LZFREE) is discarded — the PTE stays none — while a swap-backed one gets its swap
//   entry; page_remove_rmap; put_page; pte_unmap_unlock(pte, ptl);
//   mmu_notifier_invalidate_page(mm, address);          no PTL held
// run by shrink_page_list (models/mm/reclaim.ts) with the page locked, then the page is freed
// unless another reference remains. Driver: KVM's kvm_mmu_notifier_invalidate_page
// (≤ v4.13-rc): srcu_read_lock; spin_lock(&kvm->mmu_lock); mmu_notifier_seq++;
// kvm_unmap_hva(); kvm_flush_remote_tlbs; spin_unlock.
// The window between pte_unmap_unlock and invalidate_page: on a lazyfree page (param `path`,
// default) a CPU fault takes the PTL, finds pte_none and installs a fresh zero page while
// the device still maps the old one — incoherence. The old page cannot be freed meanwhile
// (reclaim frees it after the callback), so there is no use-after-free. On a swap-backed page
// (`path=reclaim`) the PTE holds a swap entry: the fault finds the page in the swap cache
// and waits in lock_page for reclaim, which holds the page lock past invalidate_page, and
// then maps the same page again — the window does no harm there.
// FIXME: v4.10's lazyfree pages were still added to the swap cache before the discard (v4.12
// 802a3a92ad changed that); the reclaim model frees them as v4.12+ does. The PTE is none in
// both, which is what the window is about.
// `semantic=v4.13` is the fix: try_to_unmap_one with range_start/range_end (369ea8242c0f) and
// KVM's range callbacks; the SPTE is gone before the PTE changes.
import { defineModel, int, oneOf, threadModel, type Step } from '../../src/index.ts';
import { clearSptes, COHERENCE, cpuFault, expectations, initialMm, mmInvariants, mmLocks, PAGE_STATES, shrinkPage, spteKeys, type NotifierOps } from '../mm/index.ts';
import { FaultLocal, KVM_FIELDS, MMU_LOCK, kvmFaultSteps, kvmNotifier, type KvmState } from './kvm.ts';

type S = KvmState;

/** KVM's pre-2017 ->invalidate_page: one address, under mmu_lock, zap and flush. */
export function kvmInvalidatePage(): NotifierOps<S> {
  return {
    invalidatePage: (v) => [
      { label: 'inv_page.lock', kernel: 'kvm_mmu_notifier_invalidate_page', note: 'srcu_read_lock; spin_lock(&kvm->mmu_lock)', acquire: MMU_LOCK },
      {
        label: 'inv_page.zap',
        kernel: 'kvm_unmap_hva',
        note: 'holds mmu_lock: mmu_notifier_seq++; zap the SPTE of this address; kvm_flush_remote_tlbs; spin_unlock(&kvm->mmu_lock)',
        release: MMU_LOCK,
        reads: ['seq', `spte[${v}]`],
        writes: ['seq', ...spteKeys(v, v + 1)],
        do: ({ shared }) => ({ shared: clearSptes(shared.set('seq', shared.seq + 1), v, v + 1) }),
      } as Step<S, any>,
    ],
  };
}

export default defineModel({
  name: 'invalidate-page-after-ptl',
  summary: 'pre-2017 invalidate_page called after the PTL is dropped (A1): coherence violated on a lazyfree page, no use-after-free',
  description: `
The device (KVM) maps address 0. A reclaim thread runs shrink_page_list with the v4.10
try_to_unmap_one: PTE cleared under the PTL, PTL released, then invalidate_page zaps the SPTE;
the page is freed after that. On a clean MADV_FREE page (path=lazyfree, default) the PTE is
left none, and a CPU thread faulting address 0 in the window maps a fresh page: CPU and device
see different pages. On a swap-backed page (path=reclaim) the fault waits for the page lock
reclaim holds and gets the same page back: every property holds. semantic=v4.13 (range_start /
range_end) holds on both.`,
  kernel: {
    functions: ['try_to_unmap_one', 'shrink_page_list', 'mmu_notifier_invalidate_page', 'kvm_mmu_notifier_invalidate_page', 'do_anonymous_page', 'do_swap_page'],
    files: ['mm/rmap.c', 'mm/vmscan.c', 'virt/kvm/kvm_main.c', 'mm/memory.c'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2', '802a3a92ad mm: reclaim MADV_FREE pages (v4.12)'],
  },
  params: {
    semantic: oneOf(['v4.10', 'v4.13'], 'v4.10', 'v4.10: invalidate_page after the PTL; v4.13: range_start/range_end (the fix)'),
    path: oneOf(['lazyfree', 'reclaim'], 'lazyfree', 'the page reclaimed: a clean MADV_FREE page (PTE left none) or a swap-backed one (swap entry)'),
    faults: int(0, 'KVM vCPU fault threads (each faults once)', { min: 0, max: 2 }),
  },
  expect: expectations([COHERENCE]),
  variants: [
    { params: { path: 'reclaim' }, expect: expectations([]) },
    { params: { semantic: 'v4.13' }, expect: expectations([]) },
    { params: { semantic: 'v4.13', path: 'reclaim' }, expect: expectations([]) },
  ],
  build: ({ semantic, path, faults }) => {
    const ops = semantic === 'v4.10' ? kvmInvalidatePage() : kvmNotifier();
    const pages = 2 + 2; // page 0, the victim (unused here), two spare pages for faults
    // One program shared by the whole group: symmetry reduction needs the very same step objects.
    const meets = { swap: path === 'reclaim', migration: false, cow: false };
    const groupSteps = kvmFaultSteps({ addresses: 1, ops, victim: 1, reclaimEra: semantic === 'v4.10' ? 'v4.10' : 'v4.15', meets });
    return threadModel<S>({
      name: 'invalidate-page-after-ptl',
      shared: initialMm(1, 2, KVM_FIELDS, { deviceMapped: true, victim: true }),
      strings: PAGE_STATES,
      locks: { ...mmLocks({ addresses: 2, pages }), [MMU_LOCK]: 'spinlock' },
      threads: [
        { name: 'reclaim', locals: null, steps: shrinkPage<typeof KVM_FIELDS>(0, 0, ops, { era: semantic === 'v4.10' ? 'v4.10' : 'v4.15', lazyfree: path === 'lazyfree' }) },
        { name: 'cpu', locals: null as number | null, steps: cpuFault<S>(0, ops, meets) },
        ...Array.from({ length: faults }, (_, i) => ({ name: `vcpu${i}`, locals: FaultLocal({ left: 1 }), steps: groupSteps, group: 'vcpu' })),
      ],
      invariants: mmInvariants(),
    });
  },
});
