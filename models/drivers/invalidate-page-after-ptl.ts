// invalidate_page after the PTL is released (≤ v4.10 try_to_unmap_one; KERNEL.md A1):
// coherence violated, no use-after-free.
//
// Kernel side, mm/rmap.c try_to_unmap_one() ≤ v4.10 (T1 in /work/notes/kernel-sources.md,
// quoted by Andrea Arcangeli as what "a majority of production kernels" ran):
//   PTL; ptep_clear_flush; page_remove_rmap; put_page; pte_unmap_unlock(pte, ptl);
//   mmu_notifier_invalidate_page(mm, address);          no PTL held
// then shrink_page_list frees the page. Driver: KVM's kvm_mmu_notifier_invalidate_page
// (≤ v4.13-rc): srcu_read_lock; spin_lock(&kvm->mmu_lock); mmu_notifier_seq++;
// kvm_unmap_hva(); flush; spin_unlock.
// The window between pte_unmap_unlock and invalidate_page: a CPU fault on another thread
// takes the PTL and installs a new page while the secondary MMU still maps the old one. The
// old page cannot be freed meanwhile (the reclaim path holds a reference until after the
// callback), so there is no use-after-free — only incoherence.
// `semantic=v4.13` is the fix: try_to_unmap_one with range_start/range_end (369ea8242c0f) and
// KVM's range callbacks; the SPTE is gone before the PTE changes.
import { defineModel, int, oneOf, threadModel, type Step } from '../../src/index.ts';
import { expectations, COHERENCE, spteKeys, clearSptes, cpuFault, initialMm, mmInvariants, ptl, tryToUnmapOne, type NotifierOps, PAGE_STATES } from '../mm/index.ts';
import { FaultLocal, KVM_FIELDS, MMU_LOCK, kvmFaultSteps, kvmNotifier, type KvmState } from './kvm.ts';

type S = KvmState;

/** KVM's pre-2017 ->invalidate_page. */
export function kvmInvalidatePage(): NotifierOps<S> {
  return {
    invalidatePage: (v) => [
      { label: 'inv_page.lock', kernel: 'kvm_mmu_notifier_invalidate_page', note: 'srcu_read_lock; spin_lock(&kvm->mmu_lock)', acquire: MMU_LOCK },
      {
        label: 'inv_page.zap',
        kernel: 'kvm_unmap_hva',
        note: 'holds mmu_lock: mmu_notifier_seq++; zap the SPTE; flush; spin_unlock(&kvm->mmu_lock)',
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
  summary: 'pre-2017 invalidate_page called after the PTL is dropped (A1): coherence violated, no use-after-free',
  description: `
The device (KVM) maps address 0. A reclaim thread runs the v4.10 try_to_unmap_one: PTE
cleared under the PTL, PTL released, then invalidate_page zaps the SPTE; the page is freed
after that. A CPU thread faults on address 0 in the window and maps a fresh page: CPU and
device see different pages. With semantic=v4.13 the range_start/range_end bracket closes
the window.`,
  kernel: {
    functions: ['try_to_unmap_one', 'mmu_notifier_invalidate_page', 'kvm_mmu_notifier_invalidate_page', 'do_anonymous_page'],
    files: ['mm/rmap.c', 'virt/kvm/kvm_main.c', 'mm/memory.c'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2'],
  },
  params: {
    semantic: oneOf(['v4.10', 'v4.13'], 'v4.10', 'v4.10: invalidate_page after the PTL; v4.13: range_start/range_end (the fix)'),
    faults: int(0, 'KVM vCPU fault threads (each faults once)', { min: 0, max: 2 }),
  },
  expect: expectations([COHERENCE]),
  build: ({ semantic, faults }) => {
    // One program shared by the whole group: symmetry reduction needs the very same step objects.
    const groupSteps = kvmFaultSteps(1);
    return threadModel<S>({
      name: 'invalidate-page-after-ptl',
      shared: initialMm(1, 1 + faults, KVM_FIELDS, { deviceMapped: true }),
      strings: PAGE_STATES,
      locks: { [MMU_LOCK]: 'spinlock', [ptl(0)]: 'spinlock' },
      threads: [
        { name: 'reclaim', locals: null, steps: tryToUnmapOne(0, semantic === 'v4.10' ? kvmInvalidatePage() : kvmNotifier(), { era: semantic === 'v4.10' ? 'v4.10' : 'v4.13' }) },
        { name: 'cpu', locals: null, steps: cpuFault(0) },
        ...Array.from({ length: faults }, (_, i) => ({ name: `vcpu${i}`, locals: FaultLocal({ left: 1 }), steps: groupSteps, group: 'vcpu' })),
      ],
      invariants: mmInvariants(),
    });
  },
});
