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
// Lock held at each step: the `note` of every step names it (mmu_lock, the PTL, none).
//
// Why it holds: a fault maps only if, under mmu_lock, no invalidation is active (count 0)
// and none completed since it read the sequence (seq unchanged). An invalidation whose
// range_start ran before the fault's check makes count ≠ 0 until its range_end, and
// range_end bumps seq before dropping count, so a page found by get_user_pages() before the
// PTE clear can never be mapped after it.
// Mutants (KERNEL.md "Mutations"), each must break 'no use-after-free':
//   seq-in-start     mmu_notifier_seq++ moved from range_end to range_start
//   no-seq           no mmu_notifier_seq at all (count only)
//   count-after-zap  range_start zaps under mmu_lock, drops it, and only then raises the count
// and one that must break 'progress' (liveness, docs/liveness.md):
//   count-leak       range_end returns without mmu_notifier_count--: the invalidation never
//                    ends for the faults, and a vCPU that faults again until it maps
//                    (retry=until-mapped) retries forever
// Liveness parameters: retry=until-mapped makes a vCPU fault again until its SPTE is mapped,
// as tdp_page_fault()'s caller does (with retry=bounded, the default, it gives up after
// `attempts` tries); storm=true puts in place of the reclaim threads a daemon calling
// mmu_notifier_invalidate_range_start and _end on address 0 forever (an endless stream of
// invalidations, e.g. mprotect() or madvise() looping on the range), against which such a
// fault can retry forever. The storm changes no PTE and frees nothing, so there
// mmu_notifier_seq is counted modulo 2 (to keep the states finite): a fault that misses
// exactly two whole invalidations and maps anyway maps the page still in the PTE, as it may.
// Every thread is strongly fair: kernel spinlocks are queued (FIFO), so a thread spinning on
// mmu_lock or a PTL gets it once it is released, however often others want it; weak fairness
// (--fairness weak) would let a vCPU that retries forever keep range_end off mmu_lock.
import { Record, type RecordOf } from 'immutable';
import { DONE, bool, defineModel, int, oneOf, setFields, threadModel, type Fairness, type Step } from '../../src/index.ts';
import { expectations, GUP_READS, GUP_WRITES, keysOf, spteKeys, clearSptes, gupPage, initialMm, invalidationStorm, mmInvariants, pageLock, putPage, ptl, setSpte, tryToUnmapOne, type MmState, type NotifierOps, PAGE_STATES } from '../mm/index.ts';

interface KvmFields {
  /** kvm->mmu_notifier_seq: bumped by every range_end. Under mmu_lock. */
  readonly seq: number;
  /** kvm->mmu_notifier_count: invalidations between range_start and range_end. Under mmu_lock. */
  readonly count: number;
}
/** The composed state of a KVM model. */
export type KvmState = MmState<KvmFields>;
type S = KvmState;

/** The initial KVM fields. */
export const KVM_FIELDS: KvmFields = { seq: 0, count: 0 };

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
/** A vCPU fault thread's locals. */
export type FaultLocal = RecordOf<FaultFields>;
/** Makes a vCPU fault thread's locals: `FaultLocal({ left: attempts })`. */
export const FaultLocal = Record<FaultFields>({ v: 0, s: 0, pfn: null, left: 0 }, 'Fault');

/** kvm->mmu_lock, a spinlock on x86 until v5.12. */
export const MMU_LOCK = 'mmu_lock';

/**
 * The fairness of KVM's threads (liveness): strong, since a queued spinlock is handed to the
 * waiter that has been spinning on it, so a thread the lock is free for infinitely often gets
 * it — strong fairness; weak fairness alone only promises a step that stays enabled.
 */
export const KVM_FAIRNESS: Fairness = 'strong';

/** The KVM variants: the correct code and its near misses. */
export const KVM_MUTANTS = ['none', 'seq-in-start', 'no-seq', 'count-after-zap', 'gup-under-mmu-lock', 'count-leak'] as const;
/** A KVM variant name. */
export type KvmMutant = (typeof KVM_MUTANTS)[number];

/**
 * kvm_mmu_notifier_invalidate_range_start / _end as steps run by the invalidating thread;
 * `seqModulo` counts mmu_notifier_seq modulo that number (only sound where no invalidation
 * frees a page: the invalidation storm).
 */
export function kvmNotifier(mutant: KvmMutant = 'none', seqModulo = Infinity): NotifierOps<S> {
  const bumpSeq = (s: S): S => s.set('seq', (s.seq + 1) % seqModulo);
  const countUp: Step<S, any> = {
    label: 'start.count',
    kernel: 'kvm_mmu_notifier_invalidate_range_start',
    note: mutant === 'seq-in-start' ? 'holds mmu_lock: mmu_notifier_count++; MUTANT: mmu_notifier_seq++ here' : 'holds mmu_lock: mmu_notifier_count++',
    reads: mutant === 'seq-in-start' ? ['count', 'seq'] : ['count'],
    writes: mutant === 'seq-in-start' ? ['count', 'seq'] : ['count'],
    do: ({ shared }) => ({ shared: mutant === 'seq-in-start' ? bumpSeq(shared.set('count', shared.count + 1)) : shared.set('count', shared.count + 1) }),
  };
  return {
    invalidateRangeStart: (start, end) => {
      const lock: Step<S, any> = { label: 'start.lock', kernel: 'kvm_mmu_notifier_invalidate_range_start', note: 'srcu_read_lock; spin_lock(&kvm->mmu_lock)', acquire: MMU_LOCK };
      const zap: Step<S, any> = { label: 'start.zap', kernel: 'kvm_unmap_hva_range', note: 'holds mmu_lock: zap the SPTEs of the range', reads: keysOf('spte', start, end), writes: spteKeys(start, end), do: ({ shared }) => ({ shared: clearSptes(shared, start, end) }) };
      const unlock: Step<S, any> = { label: 'start.unlock', kernel: 'kvm_flush_remote_tlbs', note: 'holds mmu_lock: flush, then spin_unlock(&kvm->mmu_lock)', release: MMU_LOCK };
      if (mutant === 'count-after-zap') {
        return [
          lock,
          zap,
          { label: 'start.unlock', kernel: 'kvm_flush_remote_tlbs', note: 'MUTANT: spin_unlock(&kvm->mmu_lock) before the count is raised', release: MMU_LOCK },
          { label: 'start.lock2', kernel: 'kvm_mmu_notifier_invalidate_range_start', note: 'MUTANT: spin_lock(&kvm->mmu_lock) again', acquire: MMU_LOCK },
          countUp,
          { label: 'start.unlock2', kernel: 'kvm_mmu_notifier_invalidate_range_start', note: 'spin_unlock(&kvm->mmu_lock)', release: MMU_LOCK },
        ];
      }
      return [lock, countUp, zap, unlock];
    },
    invalidateRangeEnd: () => [
      { label: 'end.lock', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'spin_lock(&kvm->mmu_lock)', acquire: MMU_LOCK },
      mutant === 'none' || mutant === 'count-leak'
        ? { label: 'end.seq', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'holds mmu_lock: mmu_notifier_seq++; smp_wmb()', reads: ['seq'], writes: ['seq'], do: ({ shared }) => ({ shared: bumpSeq(shared) }) }
        : { label: 'end.seq', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: `holds mmu_lock: MUTANT: no mmu_notifier_seq++ here (${mutant})` },
      mutant === 'count-leak'
        ? { label: 'end.count', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'holds mmu_lock: MUTANT: returns without mmu_notifier_count--' }
        : { label: 'end.count', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'holds mmu_lock: mmu_notifier_count--', reads: ['count'], writes: ['count'], do: ({ shared }) => ({ shared: shared.set('count', shared.count - 1) }) },
      { label: 'end.unlock', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'spin_unlock(&kvm->mmu_lock)', release: MMU_LOCK },
    ],
  };
}

/** How a vCPU's faults end: after `attempts` tries, or once each of `attempts` faults has mapped. */
export const KVM_RETRY = ['bounded', 'until-mapped'] as const;
/** A KVM retry policy. */
export type KvmRetry = (typeof KVM_RETRY)[number];

/**
 * One vCPU's faults: read seq, gup, lock, retry check, map or back off — `attempts` tries
 * (retry=bounded), or until `attempts` faults have mapped (until-mapped: a retry faults
 * again, as the vCPU does). A get_user_pages() that meets a migration entry waits for the
 * page lock and tries again (only reachable in models with migration).
 */
export function kvmFaultSteps(addresses: number, mutant: KvmMutant = 'none', retry: KvmRetry = 'bounded'): Step<S, FaultLocal, number>[] {
  const untilMapped = retry === 'until-mapped';
  // `left`: tries left (bounded, counted at read_seq), or maps left (until-mapped, counted at map).
  const again = (c: { local: FaultLocal }) => (c.local.left > 0 ? 'read_seq' : DONE);
  const lockStep: Step<S, FaultLocal, number> = { label: 'lock', kernel: 'tdp_page_fault', note: 'spin_lock(&kvm->mmu_lock)', acquire: MMU_LOCK };
  return [
    {
      label: 'read_seq',
      kernel: 'tdp_page_fault',
      note: 'mmu_seq = kvm->mmu_notifier_seq; smp_rmb() — no lock held',
      reads: ['seq'],
      writes: [],
      choose: () => Array.from({ length: addresses }, (_, v) => v),
      do: ({ shared, local }, v) => ({ local: setFields(local, { v, s: shared.seq, pfn: null, left: untilMapped ? local.left : local.left - 1 }) }),
    },
    ...(mutant === 'gup-under-mmu-lock' ? [lockStep] : []),
    {
      label: 'gup',
      kernel: 'gfn_to_pfn',
      note: mutant === 'gup-under-mmu-lock'
        ? 'MUTANT: holds mmu_lock (a spinlock): get_user_pages(FOLL_WRITE) — down_read(mmap_sem), may fault a page in: sleeps'
        : 'try_async_pf → get_user_pages(FOLL_WRITE): down_read(mmap_sem), takes a page reference (follow_page_pte holds the PTL) — may sleep',
      maySleep: true,
      acquire: (c) => ptl(c.local.v),
      release: (c) => ptl(c.local.v),
      reads: GUP_READS,
      writes: [...GUP_WRITES, 'lock:ptl[*]'],
      targets: ['gup_wait'],
      do: ({ shared, local }) => {
        const r = gupPage(shared, local.v, true);
        return { shared: r.state, local: local.set('pfn', r.page), goto: r.migrating ? 'gup_wait' : undefined };
      },
    },
    ...(mutant === 'gup-under-mmu-lock' ? [] : [lockStep]),
    {
      label: 'check',
      kernel: 'mmu_notifier_retry',
      note: mutant === 'no-seq' ? 'holds mmu_lock: MUTANT: retry only if mmu_notifier_count != 0' : 'holds mmu_lock: retry if mmu_notifier_count != 0 or mmu_notifier_seq != mmu_seq',
      reads: ['count', 'seq'],
      writes: [],
      targets: ['retry', 'map'],
      goto: ({ shared, local }) => (shared.count !== 0 || (mutant !== 'no-seq' && shared.seq !== local.s) ? 'retry' : 'map'),
    },
    {
      label: 'map',
      kernel: 'mmu_set_spte',
      note: 'holds mmu_lock: install the SPTE (writable), then kvm_release_pfn_clean(pfn)',
      reads: [],
      writes: ['spte[*]', 'spteWrite[*]'],
      updates: ['pages'], // kvm_release_pfn_clean: put_page
      do: ({ shared, local }) => ({ shared: putPage(setSpte(shared, local.v, local.pfn, true), local.pfn!), local: setFields(local, { pfn: null, left: untilMapped ? local.left - 1 : local.left }) }),
    },
    { label: 'unlock', kernel: 'tdp_page_fault', note: 'spin_unlock(&kvm->mmu_lock)', release: MMU_LOCK, reads: [], writes: [], targets: ['read_seq'], goto: again },
    {
      label: 'retry',
      kernel: 'tdp_page_fault',
      note: 'out_unlock: spin_unlock(&kvm->mmu_lock); kvm_release_pfn_clean(pfn); the vCPU faults again',
      release: MMU_LOCK,
      reads: [],
      writes: [],
      updates: ['pages'], // kvm_release_pfn_clean: put_page
      targets: ['read_seq'],
      do: ({ shared, local }) => ({ shared: putPage(shared, local.pfn!), local: local.set('pfn', null) }),
      goto: untilMapped ? 'read_seq' : again,
    },
    {
      label: 'gup_wait',
      kernel: '__migration_entry_wait',
      note: 'no lock held: migration entry — wait_on_page_locked(page); put_page; get_user_pages again',
      maySleep: true,
      reads: ['lock:page_lock[*]'], // the guard: isLocked(page lock)
      writes: [],
      updates: ['pages'], // put_page
      when: (c) => !c.isLocked(pageLock(c.local.pfn!)),
      do: ({ shared, local }) => ({ shared: putPage(shared, local.pfn!), local: local.set('pfn', null) }),
      goto: 'gup',
    },
  ];
}

const UAF = 'no use-after-free';

export default defineModel({
  name: 'kvm',
  summary: 'KVM mmu_notifier_seq + mmu_notifier_count with retry under mmu_lock (A5): holds',
  description: `
One reclaim thread per address runs try_to_unmap_one() (post-2017 notifier calls, PTL
around the PTE clear) and frees the page; KVM's range_start zaps the SPTE and raises
mmu_notifier_count under mmu_lock, range_end bumps mmu_notifier_seq then drops the count.
Each vCPU fault thread reads the sequence, calls get_user_pages(), takes mmu_lock and maps
only if mmu_notifier_retry() says no invalidation is active or completed meanwhile.
Expected: every property holds; each mutant breaks 'no use-after-free'.`,
  kernel: {
    functions: ['kvm_mmu_notifier_invalidate_range_start', 'kvm_mmu_notifier_invalidate_range_end', 'mmu_notifier_retry', 'tdp_page_fault', 'try_to_unmap_one'],
    files: ['virt/kvm/kvm_main.c', 'include/linux/kvm_host.h', 'arch/x86/kvm/mmu.c', 'mm/rmap.c'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2'],
  },
  params: {
    addresses: int(1, 'addresses, one reclaim (unmap) thread each', { min: 1, max: 4 }),
    faults: int(1, 'vCPU fault threads', { min: 1, max: 6 }),
    attempts: int(1, 'faults per vCPU thread (a retry counts as one)', { min: 1, max: 6 }),
    mutant: oneOf(KVM_MUTANTS, 'none', 'a near-miss variant (see mmcheck mutants kvm)'),
    retry: oneOf(KVM_RETRY, 'bounded', "'bounded': a vCPU gives up after `attempts` tries; 'until-mapped': it faults again until `attempts` faults have mapped"),
    storm: bool(false, 'in place of the reclaim threads, a daemon calling invalidate_range_start/_end on address 0 forever'),
  },
  expect: expectations([]),
  mutants: [
    { name: 'seq-in-start', description: 'mmu_notifier_seq++ in range_start instead of range_end', params: { mutant: 'seq-in-start' }, breaks: UAF },
    { name: 'no-seq', description: 'no mmu_notifier_seq: the fault checks the count only', params: { mutant: 'no-seq' }, breaks: UAF },
    { name: 'count-after-zap', description: 'range_start zaps, drops mmu_lock, then raises mmu_notifier_count', params: { mutant: 'count-after-zap' }, breaks: UAF },
    { name: 'gup-under-mmu-lock', description: 'the vCPU takes mmu_lock before gfn_to_pfn: get_user_pages sleeps under the spinlock', params: { mutant: 'gup-under-mmu-lock' }, breaks: 'no sleeping under a spinlock' },
    {
      name: 'count-leak',
      description: 'range_end returns without mmu_notifier_count--; the vCPU faults again until it maps',
      params: { mutant: 'count-leak', retry: 'until-mapped' },
      breaks: 'progress',
    },
  ],
  build: ({ addresses, faults, attempts, mutant, retry, storm }) => {
    // One program shared by every vCPU: symmetry reduction needs the very same step objects.
    const vcpuSteps = kvmFaultSteps(addresses, mutant as KvmMutant, retry as KvmRetry);
    return threadModel<S>({
      name: 'kvm',
      shared: initialMm<KvmFields>(addresses, addresses, KVM_FIELDS),
      strings: PAGE_STATES,
      locks: { [MMU_LOCK]: 'spinlock', ...Object.fromEntries(Array.from({ length: addresses }, (_, v) => [ptl(v), 'spinlock' as const])) },
      threads: [
        ...(storm ? [] : Array.from({ length: addresses }, (_, v) => ({ name: `unmap${v}`, locals: null, fairness: KVM_FAIRNESS, steps: tryToUnmapOne<KvmFields>(v, kvmNotifier(mutant as KvmMutant)) }))),
        ...Array.from({ length: faults }, (_, i) => ({ name: `vcpu${i}`, locals: FaultLocal({ left: attempts }), fairness: KVM_FAIRNESS, steps: vcpuSteps, group: 'vcpu' })),
        ...(storm ? [{ name: 'storm', locals: null, daemon: true, fairness: KVM_FAIRNESS, steps: invalidationStorm(kvmNotifier(mutant as KvmMutant, 2)) }] : []),
      ],
      invariants: mmInvariants<KvmFields>(),
    });
  },
});
