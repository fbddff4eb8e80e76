// KVM's sequence number + active-invalidation count (docs/kernel.md pattern A5): expected to
// hold on every invalidating path.
//
// Driver side, virt/kvm/kvm_main.c (v4.13–v5.7, when mmu_lock was a spinlock):
//   kvm_mmu_notifier_invalidate_range_start(): spin_lock(&kvm->mmu_lock);
//       kvm->mmu_notifier_count++; kvm_unmap_hva_range(); if (need_tlb_flush)
//       kvm_flush_remote_tlbs(); spin_unlock(&kvm->mmu_lock) — the zap and the remote TLB
//       flush in one mmu_lock section (one step here: nothing else touches the zapped pages
//       before the unlock). The OOM reaper's non-blockable call (v4.19+) takes the same path:
//       mmu_lock is a spinlock, so KVM never needs to return -EAGAIN.
//   kvm_mmu_notifier_invalidate_range_end(): spin_lock(&kvm->mmu_lock);
//       kvm->mmu_notifier_seq++; smp_wmb(); kvm->mmu_notifier_count--;
//       spin_unlock(&kvm->mmu_lock);
// Fault side, arch/x86/kvm/mmu.c tdp_page_fault() with include/linux/kvm_host.h
// mmu_notifier_retry():
//   mmu_seq = kvm->mmu_notifier_seq; smp_rmb();
//   try_async_pf() → gfn_to_pfn() → get_user_pages(FOLL_WRITE) (may sleep; takes a page
//       reference; a fault inside it may copy a shared page or enter direct reclaim, running
//       KVM's own callbacks in the vCPU thread — models/mm/fault.ts)
//   spin_lock(&kvm->mmu_lock);
//   if (mmu_notifier_retry(kvm, mmu_seq)) goto out_unlock;   count != 0 || seq != mmu_seq
//   __direct_map() → mmu_set_spte(); kvm_release_pfn_clean(pfn);
//   spin_unlock(&kvm->mmu_lock);
//   out_unlock: spin_unlock(&kvm->mmu_lock); kvm_release_pfn_clean(pfn);  (the vCPU faults again)
// (mmu_topup_memory_caches() allocates with GFP_KERNEL before mmu_seq is read, with no lock
// held: its direct reclaim is the same as gup's, so it is not a step of its own.)
// Kernel side: `-p path=…` (models/mm/paths.ts), default the reclaim of a swap-backed page.
// Lock held at each step: the `note` of every step names it (mmu_lock, the PTL, none).
//
// Why it holds: a fault maps only if, under mmu_lock, no invalidation is active (count 0)
// and none completed since it read the sequence (seq unchanged). An invalidation whose
// range_start ran before the fault's check makes count ≠ 0 until its range_end, and
// range_end bumps seq before dropping count, so a page found by get_user_pages() before the
// PTE changed can never be mapped after it; and range_start zaps and flushes before it
// returns, so the device reaches nothing of the range while the PTE changes.
// Mutants, each caught only by the property named:
//   seq-in-start        mmu_notifier_seq++ moved from range_end to range_start → use-after-free
//   no-seq              no mmu_notifier_seq at all (count only) → use-after-free
//   count-after-zap     range_start zaps under mmu_lock, drops it, and only then raises the
//                       count → use-after-free
//   gup-under-mmu-lock  the vCPU calls gfn_to_pfn holding mmu_lock → sleep under a spinlock
//   seq-after-gup       mmu_seq read after gfn_to_pfn instead of before → the SPTE outlives
//                       the PTE (on reclaim the page is kept by the vCPU's reference and the
//                       mapping is stale: coherence; it would be freed on a later pass)
//   zap-in-end          the SPTEs are zapped in range_end instead of range_start: harmless
//                       while the page is freed after range_end (reclaim); MADV_DONTNEED frees
//                       it before → use-after-free (checked with path=dontneed)
//   flush-in-end        range_start zaps but leaves kvm_flush_remote_tlbs to range_end: the
//                       vCPUs' TLBs still reach the page → use-after-free on MADV_DONTNEED
// and one that must break 'progress' (liveness, docs/liveness.md):
//   count-leak          range_end returns without mmu_notifier_count--: the invalidation never
//                       ends for the faults, and a vCPU that faults again until it maps
//                       (retry=until-mapped) retries forever
// Liveness parameters: retry=until-mapped makes a vCPU fault again until its SPTE is mapped,
// as tdp_page_fault()'s caller does (with retry=bounded, the default, it gives up after
// `attempts` tries); storm=true puts in place of the path's invalidating threads a daemon
// calling mmu_notifier_invalidate_range_start and _end on address 0 forever (an endless stream
// of invalidations, e.g. mprotect() or madvise() looping on the range), against which such a
// fault can retry forever. The storm changes no PTE and frees nothing, so there
// mmu_notifier_seq is counted modulo 2 (to keep the states finite): a fault that misses
// exactly two whole invalidations and maps anyway maps the page still in the PTE, as it may.
// Every thread is strongly fair: kernel spinlocks are queued (FIFO), so a thread spinning on
// mmu_lock or a PTL gets it once it is released, however often others want it; weak fairness
// (--fairness weak) would let a vCPU that retries forever keep range_end off mmu_lock.
// `-p path=classic` is the pre-issue-19 kernel side kept for the throughput benchmark and its
// SPIN twin (models/mm/classic.ts): a fixed state space, not a kernel path.
import { Record, type RecordOf } from 'immutable';
import { DONE, bool, defineModel, int, oneOf, setFields, threadModel, type Fairness, type Step, type ThreadSpec } from '../../src/index.ts';
import {
  classicUnmap,
  clearSptes,
  expectations,
  holdsOnEveryPath,
  faultSteps,
  flushDevice,
  GUP_READS,
  GUP_WRITES,
  gupPage,
  initialMm,
  invalidationStorm,
  kernelSide,
  keysOf,
  mmInvariants,
  pageLock,
  PATHS,
  PATH_PARAM_DOC,
  PAGE_STATES,
  ptl,
  putPage,
  setSpte,
  spteKeys,
  zapSptes,
  COHERENCE,
  NO_USE_AFTER_FREE,
  type InvalidatingPath,
  type MmState,
  type FaultKinds,
  type NotifierEra,
  type NotifierOps,
} from '../mm/index.ts';

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
export const KVM_MUTANTS = ['none', 'seq-in-start', 'no-seq', 'count-after-zap', 'gup-under-mmu-lock', 'seq-after-gup', 'zap-in-end', 'flush-in-end', 'count-leak'] as const;
/** A KVM variant name. */
export type KvmMutant = (typeof KVM_MUTANTS)[number];

/** The kernel sides the kvm model runs on: every invalidating path, and the benchmark's classic one. */
export const KVM_PATHS = [...PATHS, 'classic'] as const;

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
      const zap: Step<S, any> =
        mutant === 'flush-in-end'
          ? { label: 'start.zap', kernel: 'kvm_unmap_hva_range', note: 'holds mmu_lock: zap the SPTEs of the range; MUTANT: no kvm_flush_remote_tlbs here — the vCPUs may still use their TLB entries', reads: keysOf('spte', start, end), writes: spteKeys(start, end), do: ({ shared }) => ({ shared: zapSptes(shared, start, end) }) }
          : { label: 'start.zap', kernel: 'kvm_unmap_hva_range', note: 'holds mmu_lock: zap the SPTEs of the range; kvm_flush_remote_tlbs (waits for every vCPU)', reads: keysOf('spte', start, end), writes: spteKeys(start, end), do: ({ shared }) => ({ shared: clearSptes(shared, start, end) }) };
      const unlock: Step<S, any> = { label: 'start.unlock', kernel: 'kvm_mmu_notifier_invalidate_range_start', note: 'spin_unlock(&kvm->mmu_lock)', release: MMU_LOCK };
      if (mutant === 'count-after-zap') {
        return [
          lock,
          zap,
          { label: 'start.unlock', kernel: 'kvm_mmu_notifier_invalidate_range_start', note: 'MUTANT: spin_unlock(&kvm->mmu_lock) before the count is raised', release: MMU_LOCK },
          { label: 'start.lock2', kernel: 'kvm_mmu_notifier_invalidate_range_start', note: 'MUTANT: spin_lock(&kvm->mmu_lock) again', acquire: MMU_LOCK },
          countUp,
          { label: 'start.unlock2', kernel: 'kvm_mmu_notifier_invalidate_range_start', note: 'spin_unlock(&kvm->mmu_lock)', release: MMU_LOCK },
        ];
      }
      if (mutant === 'zap-in-end') return [lock, { ...countUp, release: MMU_LOCK, note: 'holds mmu_lock: mmu_notifier_count++; MUTANT: no zap here; spin_unlock' }];
      return [lock, countUp, zap, unlock];
    },
    invalidateRangeEnd: (start, end) => [
      { label: 'end.lock', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'spin_lock(&kvm->mmu_lock)', acquire: MMU_LOCK },
      ...(mutant === 'zap-in-end'
        ? [{ label: 'end.zap', kernel: 'kvm_unmap_hva_range', note: 'MUTANT: holds mmu_lock: the SPTEs are zapped (and flushed) only now', reads: keysOf('spte', start, end), writes: spteKeys(start, end), do: ({ shared }: { shared: S }) => ({ shared: clearSptes(shared, start, end) }) } as Step<S, any>]
        : mutant === 'flush-in-end'
          ? [{ label: 'end.flush', kernel: 'kvm_flush_remote_tlbs', note: 'MUTANT: holds mmu_lock: the remote TLB flush only now', reads: keysOf('tlb', start, end), writes: spteKeys(start, end), do: ({ shared }: { shared: S }) => ({ shared: flushDevice(shared, start, end) }) } as Step<S, any>]
          : []),
      mutant === 'seq-in-start' || mutant === 'no-seq'
        ? { label: 'end.seq', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: `holds mmu_lock: MUTANT: no mmu_notifier_seq++ here (${mutant})` }
        : { label: 'end.seq', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'holds mmu_lock: mmu_notifier_seq++; smp_wmb()', reads: ['seq'], writes: ['seq'], do: ({ shared }) => ({ shared: bumpSeq(shared) }) },
      mutant === 'count-leak'
        ? { label: 'end.count', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'holds mmu_lock: MUTANT: returns without mmu_notifier_count--' }
        : { label: 'end.count', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'holds mmu_lock: mmu_notifier_count--', reads: ['count'], writes: ['count'], do: ({ shared }) => ({ shared: shared.set('count', shared.count - 1) }) },
      { label: 'end.unlock', kernel: 'kvm_mmu_notifier_invalidate_range_end', note: 'spin_unlock(&kvm->mmu_lock)', release: MMU_LOCK },
    ],
  };
}

/** The pre-issue-19 gfn_to_pfn step and its migration wait (path=classic only: the benchmark's fixed state space). */
function classicGup(): Step<S, FaultLocal, number>[] {
  return [
    {
      label: 'gup',
      kernel: 'gfn_to_pfn',
      note: 'try_async_pf → get_user_pages(FOLL_WRITE): down_read(mmap_sem), takes a page reference (follow_page_pte holds the PTL) — may sleep',
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
  ];
}

const classicGupWait: Step<S, FaultLocal, number> = {
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
};

/** What a vCPU's fault path is built from. */
export interface KvmFaultOptions {
  /** Addresses a fault may pick. */
  readonly addresses: number;
  readonly mutant?: KvmMutant;
  /** The mm's notifier callbacks (gup runs them in a copy-on-write or direct reclaim). */
  readonly ops: NotifierOps<S>;
  /** The direct-reclaim victim gup's allocations may take; undefined: none. */
  readonly victim?: number;
  /** The pre-issue-19 single-step gup (path=classic). */
  readonly classic?: boolean;
  /** try_to_unmap_one's era in gup's direct reclaim (default v4.15). */
  readonly reclaimEra?: NotifierEra;
  /** What gup may meet on the model's path (KernelSide.meets; default anything). */
  readonly meets?: FaultKinds;
  /** How the faults end (default bounded). */
  readonly retry?: KvmRetry;
}

/** How a vCPU's faults end: after `attempts` tries, or once each of `attempts` faults has mapped. */
export const KVM_RETRY = ['bounded', 'until-mapped'] as const;
/** A KVM retry policy. */
export type KvmRetry = (typeof KVM_RETRY)[number];

/**
 * One vCPU's faults: read seq, gup, lock, retry check, map or back off — `attempts` tries
 * (retry=bounded), or until `attempts` faults have mapped (until-mapped: a retry faults
 * again, as the vCPU does). get_user_pages resolves what it meets (models/mm/fault.ts).
 */
export function kvmFaultSteps(o: KvmFaultOptions): Step<S, FaultLocal, number>[] {
  const mutant = o.mutant ?? 'none';
  const untilMapped = o.retry === 'until-mapped';
  const seqAfterGup = mutant === 'seq-after-gup';
  const first = seqAfterGup ? 'pick' : 'read_seq';
  // `left`: tries left (bounded, counted when the attempt starts), or maps left (until-mapped, counted at map).
  const again = (c: { local: FaultLocal }) => (c.local.left > 0 ? first : DONE);
  const lockStep: Step<S, FaultLocal, number> = { label: 'lock', kernel: 'tdp_page_fault', note: 'spin_lock(&kvm->mmu_lock)', acquire: MMU_LOCK };
  const pick = (label: string, readSeq: boolean): Step<S, FaultLocal, number> => ({
    label,
    kernel: 'tdp_page_fault',
    note: readSeq ? 'mmu_seq = kvm->mmu_notifier_seq; smp_rmb() — no lock held' : 'the vCPU faults on gfn v — no lock held',
    reads: readSeq ? ['seq'] : [],
    writes: [],
    choose: () => Array.from({ length: o.addresses }, (_, v) => v),
    do: ({ shared, local }, v) => ({ local: setFields(local, { v, s: readSeq ? shared.seq : local.s, pfn: null, left: untilMapped ? local.left : local.left - 1 }) }),
  });
  const gup: Step<S, FaultLocal, any>[] = o.classic
    ? classicGup()
    : faultSteps<S, FaultLocal>({
        label: 'gup',
        next: mutant === 'gup-under-mmu-lock' ? 'check' : seqAfterGup ? 'read_seq' : 'lock',
        addr: (l) => l.v,
        addresses: Array.from({ length: o.addresses }, (_, v) => v),
        page: (l) => l.pfn,
        withPage: (l, p) => l.set('pfn', p),
        write: true,
        takeRef: true,
        kernel: 'gfn_to_pfn',
        note:
          mutant === 'gup-under-mmu-lock'
            ? 'MUTANT: holds mmu_lock (a spinlock): get_user_pages(FOLL_WRITE) — down_read(mmap_sem), may fault a page in: sleeps'
            : 'try_async_pf → get_user_pages(FOLL_WRITE): down_read(mmap_sem); follow_page_pte under the PTL takes a page reference, a fault resolves a miss first — may sleep',
        ops: o.ops,
        victim: o.victim,
        reclaimEra: o.reclaimEra,
        meets: o.meets,
      });
  return [
    seqAfterGup ? pick('pick', false) : pick('read_seq', true),
    ...(mutant === 'gup-under-mmu-lock' ? [lockStep] : []),
    ...gup,
    ...(seqAfterGup
      ? [{ label: 'read_seq', kernel: 'tdp_page_fault', note: 'MUTANT: mmu_seq = kvm->mmu_notifier_seq read only after gfn_to_pfn — no lock held', reads: ['seq'], writes: [], do: ({ shared, local }) => ({ local: local.set('s', shared.seq) }) } as Step<S, FaultLocal, number>]
      : []),
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
      writes: ['spte[*]', 'spteWrite[*]', 'tlb[*]', 'tlbWrite[*]'],
      updates: ['pages'], // kvm_release_pfn_clean: put_page
      do: ({ shared, local }) => ({ shared: putPage(setSpte(shared, local.v, local.pfn, true), local.pfn!), local: setFields(local, { pfn: null, left: untilMapped ? local.left - 1 : local.left }) }),
    },
    { label: 'unlock', kernel: 'tdp_page_fault', note: 'spin_unlock(&kvm->mmu_lock)', release: MMU_LOCK, reads: [], writes: [], targets: [first], goto: again },
    {
      label: 'retry',
      kernel: 'tdp_page_fault',
      note: 'out_unlock: spin_unlock(&kvm->mmu_lock); kvm_release_pfn_clean(pfn); the vCPU faults again',
      release: MMU_LOCK,
      reads: [],
      writes: [],
      updates: ['pages'], // kvm_release_pfn_clean: put_page
      targets: [first],
      do: ({ shared, local }) => ({ shared: putPage(shared, local.pfn!), local: local.set('pfn', null) }),
      goto: untilMapped ? first : again,
    },
    ...(o.classic ? [classicGupWait] : []),
  ];
}

/** The mutants' parameters: the near miss, and the path where it shows. */
const MUTANT_PATH: { readonly [M in KvmMutant]?: InvalidatingPath } = { 'zap-in-end': 'dontneed', 'flush-in-end': 'dontneed' };

export default defineModel({
  name: 'kvm',
  summary: 'KVM mmu_notifier_seq + mmu_notifier_count with retry under mmu_lock (A5): holds on every path',
  description: `
One invalidating thread per address runs the kernel path chosen by -p path (default: reclaim
of a swap-backed page — swap entry, page lock, freed only when no reference is left). KVM's
range_start zaps the SPTE, flushes the vCPUs' TLBs and raises mmu_notifier_count under
mmu_lock; range_end bumps mmu_notifier_seq then drops the count. Each vCPU fault thread reads
the sequence, calls get_user_pages() (which may meet a swap entry and wait for the page lock,
copy a shared page, or enter direct reclaim and run KVM's own callbacks), takes mmu_lock and
maps only if mmu_notifier_retry() says no invalidation is active or completed meanwhile.
Expected: every property holds on every path; each mutant breaks its named property.`,
  kernel: {
    functions: ['kvm_mmu_notifier_invalidate_range_start', 'kvm_mmu_notifier_invalidate_range_end', 'kvm_flush_remote_tlbs', 'mmu_notifier_retry', 'tdp_page_fault', 'get_user_pages'],
    files: ['virt/kvm/kvm_main.c', 'include/linux/kvm_host.h', 'arch/x86/kvm/mmu.c', 'mm/rmap.c', 'mm/vmscan.c', 'mm/memory.c'],
    commits: ['369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2', '93065ac753e4 mm, oom: distinguish blockable mode for mmu notifiers (v4.19)'],
  },
  params: {
    addresses: int(1, 'addresses, one invalidating thread each', { min: 1, max: 4 }),
    faults: int(1, 'vCPU fault threads', { min: 1, max: 6 }),
    attempts: int(1, 'faults per vCPU thread (a retry counts as one)', { min: 1, max: 6 }),
    mutant: oneOf(KVM_MUTANTS, 'none', 'a near-miss variant (see mmcheck mutants kvm)'),
    retry: oneOf(KVM_RETRY, 'bounded', "'bounded': a vCPU gives up after `attempts` tries; 'until-mapped': it faults again until `attempts` faults have mapped"),
    storm: bool(false, "in place of the path's invalidating threads, a daemon calling invalidate_range_start/_end on address 0 forever"),
    path: oneOf(KVM_PATHS, 'reclaim', `${PATH_PARAM_DOC}; classic: the benchmark's fixed pre-issue-19 kernel side, not a kernel path`),
  },
  expect: expectations([]),
  variants: holdsOnEveryPath('reclaim'),
  mutants: [
    { name: 'seq-in-start', description: 'mmu_notifier_seq++ in range_start instead of range_end', params: { mutant: 'seq-in-start' }, breaks: NO_USE_AFTER_FREE },
    { name: 'no-seq', description: 'no mmu_notifier_seq: the fault checks the count only', params: { mutant: 'no-seq' }, breaks: NO_USE_AFTER_FREE },
    { name: 'count-after-zap', description: 'range_start zaps, drops mmu_lock, then raises mmu_notifier_count', params: { mutant: 'count-after-zap' }, breaks: NO_USE_AFTER_FREE },
    { name: 'gup-under-mmu-lock', description: 'the vCPU takes mmu_lock before gfn_to_pfn: get_user_pages sleeps under the spinlock', params: { mutant: 'gup-under-mmu-lock' }, breaks: 'no sleeping under a spinlock' },
    { name: 'seq-after-gup', description: 'mmu_seq read after gfn_to_pfn instead of before: a pfn from before the PTE change passes the check', params: { mutant: 'seq-after-gup' }, breaks: COHERENCE },
    { name: 'zap-in-end', description: 'the SPTEs are zapped in range_end, not range_start (MADV_DONTNEED frees the page before range_end)', params: { mutant: 'zap-in-end', path: MUTANT_PATH['zap-in-end'] }, breaks: NO_USE_AFTER_FREE },
    { name: 'flush-in-end', description: 'range_start zaps but the remote TLB flush waits for range_end (MADV_DONTNEED frees the page before)', params: { mutant: 'flush-in-end', path: MUTANT_PATH['flush-in-end'] }, breaks: NO_USE_AFTER_FREE },
    {
      name: 'count-leak',
      description: 'range_end returns without mmu_notifier_count--; the vCPU faults again until it maps',
      params: { mutant: 'count-leak', retry: 'until-mapped' },
      breaks: 'progress',
    },
  ],
  build: ({ addresses, faults, attempts, mutant, retry, storm, path }) => {
    const ops = kvmNotifier(mutant as KvmMutant);
    const locks = { [MMU_LOCK]: 'spinlock' as const };
    const fair = <T extends ThreadSpec<S, any>>(t: T): T => ({ ...t, fairness: KVM_FAIRNESS });
    // storm=true: the invalidating threads give way to one daemon invalidating address 0 forever.
    const stormThreads = [fair({ name: 'storm', locals: null, daemon: true, steps: invalidationStorm(kvmNotifier(mutant as KvmMutant, 2)) })];
    const vcpus = (vcpuSteps: Step<S, FaultLocal, number>[]) =>
      Array.from({ length: faults }, (_, i) => fair({ name: `vcpu${i}`, locals: FaultLocal({ left: attempts }), steps: vcpuSteps, group: 'vcpu' }));
    if (path === 'classic') {
      // The benchmark's state space, unchanged since before issue 19 (models/mm/classic.ts).
      const vcpuSteps = kvmFaultSteps({ addresses, mutant: mutant as KvmMutant, ops, classic: true, retry: retry as KvmRetry });
      return threadModel<S>({
        name: 'kvm',
        shared: initialMm<KvmFields>(addresses, addresses, KVM_FIELDS, { refs: 2 }),
        strings: PAGE_STATES,
        locks: { ...locks, ...Object.fromEntries(Array.from({ length: addresses }, (_, v) => [ptl(v), 'spinlock' as const])) },
        threads: [
          ...(storm ? stormThreads : Array.from({ length: addresses }, (_, v) => fair({ name: `unmap${v}`, locals: null as number | null, steps: classicUnmap<KvmFields>(v, ops) }))),
          ...vcpus(vcpuSteps),
        ],
        invariants: mmInvariants<KvmFields>(),
      });
    }
    const k = kernelSide<KvmFields>({ path: path as InvalidatingPath, addresses, driver: KVM_FIELDS, ops });
    // One program shared by every vCPU: symmetry reduction needs the very same step objects.
    const vcpuSteps = kvmFaultSteps({ addresses, mutant: mutant as KvmMutant, ops, victim: k.victim, meets: k.meets, retry: retry as KvmRetry });
    return threadModel<S>({
      name: 'kvm',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, ...locks },
      threads: [...(storm ? stormThreads : k.threads.map(fair)), ...vcpus(vcpuSteps)],
      invariants: mmInvariants<KvmFields>(),
    });
  },
});
