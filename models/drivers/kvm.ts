// KVM's sequence number + active-invalidation count (KERNEL.md pattern A5): expected to hold.
//
// Driver side, virt/kvm/kvm_main.c (v4.13–v5.7, when mmu_lock was a spinlock):
//   kvm_mmu_notifier_invalidate_range_start(): spin_lock(&kvm->mmu_lock);
//       kvm->mmu_notifier_count++; kvm_unmap_hva_range(); kvm_flush_remote_tlbs();
//       spin_unlock(&kvm->mmu_lock);
//   kvm_mmu_notifier_invalidate_range_end(): spin_lock(&kvm->mmu_lock);
//       kvm->mmu_notifier_seq++; smp_wmb(); kvm->mmu_notifier_count--;
//       spin_unlock(&kvm->mmu_lock);
// Fault side, arch/x86/kvm/mmu.c tdp_page_fault() with include/linux/kvm_host.h
// mmu_notifier_retry():
//   mmu_seq = kvm->mmu_notifier_seq; smp_rmb();
//   try_async_pf() → gfn_to_pfn() → get_user_pages()   (may sleep; takes a page reference)
//   spin_lock(&kvm->mmu_lock);
//   if (mmu_notifier_retry(kvm, mmu_seq)) goto out_unlock;   count != 0 || seq != mmu_seq
//   __direct_map() → mmu_set_spte(); kvm_release_pfn_clean(pfn);
//   spin_unlock(&kvm->mmu_lock);
//   out_unlock: spin_unlock(&kvm->mmu_lock); kvm_release_pfn_clean(pfn);  (the vCPU faults again)
// Kernel side: try_to_unmap_one() after 369ea8242c0f (models/mm/try-to-unmap.ts).
//
// Why it holds: a fault maps only if, under mmu_lock, no invalidation is active (count 0)
// and none completed since it read the sequence (seq unchanged). An invalidation whose
// range_start ran before the fault's check makes count ≠ 0 until its range_end, and
// range_end bumps seq before dropping count, so a page found by get_user_pages() before the
// PTE clear can never be mapped after it.
import { Record, type RecordOf } from 'immutable';
import { DONE, defineModel, int, threadModel, type Step } from '../../src/index.ts';
import { gupPage, initialMm, noUseAfterFree, putPage, ptl, tryToUnmapOne, type MmState, type NotifierOps } from '../mm/index.ts';

interface KvmFields {
  /** kvm->mmu_notifier_seq: bumped by every range_end. Under mmu_lock. */
  readonly seq: number;
  /** kvm->mmu_notifier_count: invalidations between range_start and range_end. Under mmu_lock. */
  readonly count: number;
}
type S = MmState<KvmFields>;

interface FaultFields {
  /** The address this attempt faults on. */
  readonly v: number;
  /** mmu_seq: the sequence read at the start of the attempt. */
  readonly s: number;
  /** The pfn get_user_pages() returned (a page id), or null. */
  readonly pfn: number | null;
  /** Attempts still to make after this one. */
  readonly left: number;
}
type FaultLocal = RecordOf<FaultFields>;
const FaultLocal = Record<FaultFields>({ v: 0, s: 0, pfn: null, left: 0 }, 'Fault');

const MMU_LOCK = 'mmu_lock';

/** kvm_mmu_notifier_invalidate_range_start / _end as steps run by the invalidating thread. */
export function kvmNotifier(): NotifierOps<S> {
  return {
    invalidateRangeStart: (v) => [
      { label: 'start.lock', kernel: 'kvm_mmu_notifier_invalidate_range_start', note: 'spin_lock(&kvm->mmu_lock)', acquire: MMU_LOCK },
      { label: 'start.count', kernel: 'kvm_mmu_notifier_invalidate_range_start', note: 'holds mmu_lock: mmu_notifier_count++', reads: ['count'], writes: ['count'], do: ({ shared }) => ({ shared: shared.set('count', shared.count + 1) }) },
      { label: 'start.zap', kernel: 'kvm_unmap_hva_range', note: 'holds mmu_lock: zap the SPTE', reads: [], writes: [`spte[${v}]`], do: ({ shared }) => ({ shared: shared.set('spte', shared.spte.set(v, null)) }) },
      { label: 'start.unlock', kernel: 'kvm_flush_remote_tlbs', note: 'holds mmu_lock: flush, then spin_unlock(&kvm->mmu_lock)', release: MMU_LOCK },
    ],
    invalidateRangeEnd: () => [
      { label: 'end.lock', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'spin_lock(&kvm->mmu_lock)', acquire: MMU_LOCK },
      { label: 'end.seq', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'holds mmu_lock: mmu_notifier_seq++; smp_wmb()', reads: ['seq'], writes: ['seq'], do: ({ shared }) => ({ shared: shared.set('seq', shared.seq + 1) }) },
      { label: 'end.count', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'holds mmu_lock: mmu_notifier_count--', reads: ['count'], writes: ['count'], do: ({ shared }) => ({ shared: shared.set('count', shared.count - 1) }) },
      { label: 'end.unlock', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'spin_unlock(&kvm->mmu_lock)', release: MMU_LOCK },
    ],
  };
}

/** One vCPU's faults: `attempts` times, read seq, gup, lock, retry check, map or back off. */
export function kvmFaultSteps(addresses: number, attempts = 2): Step<S, FaultLocal, number>[] {
  const again = (c: { local: FaultLocal }) => (c.local.left > 0 ? 'read_seq' : DONE);
  // Where `again` may go: with one attempt the vCPU never loops (declared for --por).
  const afterAttempt = attempts > 1 ? ['read_seq', DONE] : [DONE];
  return [
    {
      label: 'read_seq',
      kernel: 'tdp_page_fault',
      note: 'mmu_seq = kvm->mmu_notifier_seq; smp_rmb() — no lock held',
      reads: ['seq'],
      writes: [],
      choose: () => Array.from({ length: addresses }, (_, v) => v),
      do: ({ shared, local }, v) => ({ local: local.merge({ v, s: shared.seq, pfn: null, left: local.left - 1 }) }),
    },
    {
      label: 'gup',
      kernel: 'gfn_to_pfn',
      note: 'try_async_pf → get_user_pages: takes a page reference (follow_page_pte holds the PTL)',
      reads: ['pte[*]', 'pages'],
      writes: ['pte[*]', 'pages', 'lock:ptl[*]'],
      acquire: (c) => ptl(c.local.v),
      release: (c) => ptl(c.local.v),
      do: ({ shared, local }) => {
        const r = gupPage(shared, local.v);
        return { shared: r.state, local: local.set('pfn', r.page) };
      },
    },
    { label: 'lock', kernel: 'tdp_page_fault', note: 'spin_lock(&kvm->mmu_lock)', acquire: MMU_LOCK },
    {
      label: 'check',
      kernel: 'mmu_notifier_retry',
      note: 'holds mmu_lock: retry if mmu_notifier_count != 0 or mmu_notifier_seq != mmu_seq',
      reads: ['count', 'seq'],
      writes: [],
      targets: ['retry', 'map'],
      goto: ({ shared, local }) => (shared.count !== 0 || shared.seq !== local.s ? 'retry' : 'map'),
    },
    {
      label: 'map',
      kernel: 'mmu_set_spte',
      note: 'holds mmu_lock: install the SPTE, then kvm_release_pfn_clean(pfn)',
      reads: [],
      writes: ['spte[*]'],
      updates: ['pages'], // kvm_release_pfn_clean: put_page
      do: ({ shared, local }) => ({ shared: putPage(shared.set('spte', shared.spte.set(local.v, local.pfn)), local.pfn!), local: local.set('pfn', null) }),
    },
    { label: 'unlock', kernel: 'tdp_page_fault', note: 'spin_unlock(&kvm->mmu_lock)', release: MMU_LOCK, reads: [], writes: [], targets: afterAttempt, goto: again },
    {
      label: 'retry',
      kernel: 'tdp_page_fault',
      note: 'out_unlock: spin_unlock(&kvm->mmu_lock); kvm_release_pfn_clean(pfn); the vCPU faults again',
      release: MMU_LOCK,
      reads: [],
      writes: [],
      updates: ['pages'], // kvm_release_pfn_clean: put_page
      targets: afterAttempt,
      do: ({ shared, local }) => ({ shared: putPage(shared, local.pfn!), local: local.set('pfn', null) }),
      goto: again,
    },
  ];
}

export default defineModel({
  name: 'kvm',
  summary: 'KVM mmu_notifier_seq + mmu_notifier_count with retry under mmu_lock (A5): holds',
  description: `
One reclaim thread per address runs try_to_unmap_one() (post-2017 notifier calls, PTL
around the PTE clear) and frees the page; KVM's range_start zaps the SPTE and raises
mmu_notifier_count under mmu_lock, range_end bumps mmu_notifier_seq then drops the count.
Each vCPU fault thread reads the sequence, calls get_user_pages(), takes mmu_lock and maps
only if mmu_notifier_retry() says no invalidation is active or completed meanwhile.
Expected: every property holds.`,
  kernel: {
    functions: ['kvm_mmu_notifier_invalidate_range_start', 'kvm_mmu_notifier_invalidate_range_end', 'mmu_notifier_retry', 'tdp_page_fault', 'try_to_unmap_one'],
    files: ['virt/kvm/kvm_main.c', 'include/linux/kvm_host.h', 'arch/x86/kvm/mmu.c', 'mm/rmap.c'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2'],
  },
  params: {
    addresses: int(1, 'addresses, one reclaim (unmap) thread each', { min: 1, max: 4 }),
    faults: int(1, 'vCPU fault threads', { min: 1, max: 6 }),
    attempts: int(1, 'faults per vCPU thread (a retry counts as one)', { min: 1, max: 4 }),
  },
  expect: { 'no use-after-free': 'holds', 'no sleeping under a spinlock': 'holds', 'deadlock freedom': 'holds' },
  build: ({ addresses, faults, attempts }) => {
    // One program shared by every vCPU: symmetry reduction needs the very same steps.
    const vcpuSteps = kvmFaultSteps(addresses, attempts);
    return threadModel<S>({
      name: 'kvm',
      shared: initialMm<KvmFields>(addresses, addresses, { seq: 0, count: 0 }),
      locks: { [MMU_LOCK]: 'spinlock', ...Object.fromEntries(Array.from({ length: addresses }, (_, v) => [ptl(v), 'spinlock' as const])) },
      threads: [
        ...Array.from({ length: addresses }, (_, v) => ({ name: `unmap${v}`, locals: null, steps: tryToUnmapOne<KvmFields>(v, kvmNotifier()) })),
        ...Array.from({ length: faults }, (_, i) => ({ name: `vcpu${i}`, locals: FaultLocal({ left: attempts }), steps: vcpuSteps, group: 'vcpu' })),
      ],
      invariants: [noUseAfterFree()],
    });
  },
});
