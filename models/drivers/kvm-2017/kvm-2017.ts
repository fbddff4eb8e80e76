// KVM (x86) in the kernels around the 2017 series: guest memory (the EPT/shadow SPTEs) and the
// APIC-access page (its address cached in the VMCS), each in v4.10, v4.13-rc, v4.13, v4.15 and
// v5.8.
//
// virt/kvm/kvm_main.c and arch/x86/kvm/x86.c, as the series' KVM patch ("KVM: update to new
// mmu_notifier semantic v2", 31 Aug 2017) and the later fixes show them:
//   ≤ v4.13-rc  kvm_mmu_notifier_invalidate_page(address): srcu_read_lock; spin_lock(mmu_lock);
//               mmu_notifier_seq++; kvm_unmap_hva(address); kvm_flush_remote_tlbs;
//               spin_unlock; then kvm_arch_mmu_notifier_invalidate_page(): if address is the
//               APIC-access page's hva, kvm_make_all_cpus_request(KVM_REQ_APIC_PAGE_RELOAD).
//               invalidate_range_start/_end (mmu_notifier_count++ / seq++, count--) as in
//               models/drivers/kvm.ts, for the zap paths (MADV_DONTNEED).
//   v4.13       the series removed ->invalidate_page and kvm_arch_mmu_notifier_invalidate_page
//               with it: nothing reloads the APIC-access page any more.
//   v4.15       b1394e745b94 "KVM: x86: fix APIC page invalidation": the reload request comes
//               back as kvm_arch_mmu_notifier_invalidate_range(), called from
//               kvm_mmu_notifier_invalidate_range_start.
//   v5.8        e649b3f0188f "KVM: x86: Fix APIC page invalidation race": the request moves to a
//               new ->invalidate_range callback (kvm_mmu_notifier_invalidate_range), called
//               after the PTE changed, because range_start "cannot guarantee that no additional
//               references are taken to the pages in the range before range_end" (Windows
//               guests crashed with CRITICAL_STRUCTURE_CORRUPTION; kernel bugzilla 197951).
// The vCPU side: kvm_vcpu_reload_apic_access_page() runs when vcpu_enter_guest() finds the
// request: gfn_to_page() (get_user_pages: may sleep, takes a reference), writes the page's
// address into the VMCS, and put_page()s it at once ("do not pin apic access page in memory,
// the MMU notifier will call us again"). vcpu_enter_guest() enters the guest only if no request
// is pending once interrupts are off; the request kicks every vCPU out of guest mode and waits
// (KVM_REQUEST_WAIT): a vCPU outside guest mode reaches nothing through the VMCS.
// Guest memory (`part=memory`): tdp_page_fault with mmu_notifier_retry, models/drivers/kvm.ts.
//
// The device side here: part=memory, the SPTE of address 0; part=apic, what a vCPU in guest
// mode reaches through the VMCS's APIC-access address (address 0 is that page).
// huge=true (part=memory, path=migrate): 4 KiB SPTEs over both subpages of a hugetlbfs page
// migrated whole; kvm_unmap_hva(address) zaps the one invalidate_page names. Mutants: seq++ in
// range_start (guest memory, v4.13); the v5.8 reload request without the kick (APIC page); the
// kernel's range over the first 4 KiB of a huge page.
// Scaling (docs/series.md, "Scaling"), guest memory only: `addresses` guest pages, one
// invalidating thread each (try_to_unmap_one, a zap or a migration notifies one page at a
// time), every vCPU fault picking one of them as the A5 model's do; `faults` vCPUs; `attempts`
// tries of each vCPU's fault (mmu_notifier_retry sends it back to fault again). The VMM's
// thread writes address 0 only: the lazyfree race needs one such write. The APIC-access page
// does not scale: it is one 4 KiB page of KVM's private memslot per VM (no second address),
// and every vCPU reloads it into its own VMCS on the same request, so a second vCPU runs the
// first's race again — the model's reload flag and VMCS address are one vCPU's.
import { Record as ImmRecord, type RecordOf } from 'immutable';
import { defineModel, oneOf, threadModel, type Step } from '../../../src/index.ts';
import {
  clearSptes,
  cpuFault,
  gupOnePage,
  type FaultKinds,
  kernelSide,
  mmInvariants,
  PAGE_STATES,
  putPage,
  setSpte,
  spteKeys,
  COHERENCE,
  NO_USE_AFTER_FREE,
  type MmProperty,
  type MmState,
  type NotifierOps,
} from '../../mm/index.ts';
import { hugeParam, onePageRangeMutant, laterVersion, refuseHugeAddresses, scaleParams, SERIES_PATHS, seriesExpectations, V4_10, V4_13, V4_13_RC, type SeriesPath } from '../../mm/series.ts';
import { FaultLocal, KVM_FIELDS, MMU_LOCK, kvmFaultSteps, kvmNotifier, type KvmState } from '../kvm.ts';
import { kvmInvalidatePage } from '../invalidate-page-after-ptl.ts';

const VERSIONS = [V4_10, V4_13_RC, V4_13, laterVersion('v4.15'), laterVersion('v5.8')];
const VERSION_NAMES = VERSIONS.map((v) => v.name);
type Version = 'v4.10' | 'v4.13-rc' | 'v4.13' | 'v4.15' | 'v5.8';
const PARTS = ['apic', 'memory'] as const;
type Part = (typeof PARTS)[number];
/** Near misses of the fixed versions: guest memory's sequence (v4.13), the APIC reload's kick (v5.8), the kernel's range over a huge page. */
const MUTANTS = ['none', 'seq-in-start', 'no-kick', 'one-page-range'] as const;
type Mutant = (typeof MUTANTS)[number];

/** The APIC-access page model's driver state: a KVM_REQ_APIC_PAGE_RELOAD pending on the vCPU. */
interface ApicFields {
  readonly reload: boolean;
}
type A = MmState<ApicFields>;
/** The APIC-access page's address (and page). */
const APIC = 0;

/**
 * kvm_make_all_cpus_request(KVM_REQ_APIC_PAGE_RELOAD) for [start, end), as the step `label` of
 * `kernel`; with `noKick` (a near miss) the request is only posted: a vCPU in guest mode goes on
 * using the page until it leaves guest mode by itself.
 */
function apicRequest(label: string, kernel: string, start: number, end: number, noKick = false): Step<A, any>[] {
  if (APIC < start || APIC >= end) return [];
  if (noKick) return [{ label, kernel, note: 'MUTANT: kvm_make_request on every vCPU without the kick (no IPI, no wait): a vCPU in guest mode keeps the page', reads: [], writes: ['reload'], do: ({ shared }) => ({ shared: shared.set('reload', true) }) }];
  return [
    {
      label,
      kernel,
      note: 'the range holds the APIC-access page: kvm_make_all_cpus_request(KVM_REQ_APIC_PAGE_RELOAD) — kicks every vCPU out of guest mode and waits (IPIs, no sleep)',
      reads: [`spte[${APIC}]`],
      writes: ['reload', ...spteKeys(APIC, APIC + 1)],
      do: ({ shared }) => ({ shared: clearSptes(shared.set('reload', true), APIC, APIC + 1) }),
    },
  ];
}

/** Where each version asks for the reload. */
function apicOps(version: Version, mutant: Mutant): NotifierOps<A> {
  switch (version) {
    case 'v4.10':
    case 'v4.13-rc':
      return { invalidatePage: (v) => [{ label: 'inv_page', kernel: 'kvm_mmu_notifier_invalidate_page', note: 'mmu_lock section: seq++, kvm_unmap_hva, flush (part=memory models it); then the APIC check' }, ...apicRequest('inv_page.apic', 'kvm_arch_mmu_notifier_invalidate_page', v, v + 1)] };
    case 'v4.13':
      return { invalidateRangeStart: () => [{ label: 'start', kernel: 'kvm_mmu_notifier_invalidate_range_start', note: 'mmu_lock section: count++, unmap, flush (part=memory models it); no APIC-access page handling since the series' }] };
    case 'v4.15':
      return {
        invalidateRangeStart: (start, end) => [
          { label: 'start', kernel: 'kvm_mmu_notifier_invalidate_range_start', note: 'mmu_lock section: count++, unmap, flush (part=memory models it); then kvm_arch_mmu_notifier_invalidate_range' },
          ...apicRequest('start.apic', 'kvm_arch_mmu_notifier_invalidate_range', start, end),
        ],
      };
    case 'v5.8':
      return { invalidateRange: (start, end) => apicRequest('invalidate_range', 'kvm_mmu_notifier_invalidate_range', start, end, mutant === 'no-kick') };
  }
}

interface VcpuFields {
  /** The page the VMCS's APIC-access address holds (null before the first reload). */
  readonly page: number | null;
}
type V = RecordOf<VcpuFields>;
const VcpuLocal = ImmRecord<VcpuFields>({ page: null }, 'Vcpu');

/** The vCPU: wait for a reload request, reload the APIC-access page, enter the guest unless another request came. */
function vcpuApicSteps(ops: NotifierOps<A>, victim: number, meets: FaultKinds): Step<A, V, any>[] {
  return [
    { label: 'request', kernel: 'vcpu_enter_guest', note: 'kvm_check_request(KVM_REQ_APIC_PAGE_RELOAD): waits for one (the vCPU runs the guest meanwhile)', reads: ['reload'], writes: ['reload'], when: ({ shared }) => shared.reload, do: ({ shared }) => ({ shared: shared.set('reload', false) }) },
    ...gupOnePage<A, V>(APIC, {
      label: 'gfn_to_page',
      next: 'write_vmcs',
      write: false,
      kernel: 'kvm_vcpu_reload_apic_access_page',
      note: 'gfn_to_page(APIC_DEFAULT_PHYS_BASE): get_user_pages, no lock held — may sleep; takes a reference',
      ops,
      victim,
      meets,
    }),
    { label: 'write_vmcs', kernel: 'vmx_set_apic_access_page_addr', note: 'VMCS APIC_ACCESS_ADDR := page_to_phys(page); put_page(page) — not pinned', reads: [], writes: [], updates: ['pages'], do: ({ shared, local }) => ({ shared: putPage(shared, local.page!) }) },
    {
      label: 'enter_guest',
      kernel: 'vcpu_enter_guest',
      note: 'interrupts off: a request pending → handle it first; else enter guest mode: guest accesses to the page\'s address now resolve through the VMCS (they trap or go to the virtual-APIC page: no CPU write reaches the page itself)',
      reads: ['reload'],
      writes: spteKeys(APIC, APIC + 1),
      targets: ['request'],
      do: ({ shared, local }) => (shared.reload ? { goto: 'request' } : { shared: setSpte(shared, APIC, local.page, false), goto: 'request' }),
    },
  ];
}

/** The properties each (version, path, part) violates, explained in docs/series.md. */
function verdicts(version: string, path: SeriesPath | 'oom', extra: Readonly<Record<string, string>>): readonly MmProperty[] {
  // A huge page migrated before the series: kvm_unmap_hva zaps the 4 KiB SPTE of the one address invalidate_page names.
  if (extra.part === 'memory' && extra.huge === 'true') return version === 'v4.10' || version === 'v4.13-rc' ? [NO_USE_AFTER_FREE, COHERENCE] : [];
  if (extra.part === 'memory') return version === 'v4.10' && path === 'lazyfree' ? [COHERENCE] : [];
  // The APIC-access page: nobody reloads it in v4.13; v4.15 reloads between range_start and the PTE change.
  if (version === 'v4.13' || version === 'v4.15') return [NO_USE_AFTER_FREE, COHERENCE];
  // Before the series only invalidate_page asked for a reload: the zap paths' range_start never did.
  if ((version === 'v4.10' || version === 'v4.13-rc') && path === 'dontneed') return [NO_USE_AFTER_FREE, COHERENCE];
  return [];
}

const { expect, variants } = seriesExpectations({ versions: VERSIONS, verdicts, defaults: { version: 'v4.13', path: 'reclaim', part: 'apic' }, axes: { part: PARTS }, huge: { part: 'memory' } });

export default defineModel({
  name: 'kvm-2017',
  summary: "KVM in v4.10, v4.13-rc, v4.13, v4.15, v5.8: guest memory holds (but a migrated hugetlbfs page before v4.13); the APIC-access page is lost in v4.13 and raced in v4.15",
  description: `
The 2017 series removed KVM's ->invalidate_page and, with it, the only place that reloaded the
APIC-access page whose address the VMCS caches: from v4.13 the vCPU kept using a page reclaim
or migration had taken away (part=apic, the default; b1394e745b94 brought the reload back in
range_start in v4.15, which a reload between range_start and the PTE change defeats;
e649b3f0188f moved it to ->invalidate_range in v5.8). Guest memory (part=memory: SPTEs with
mmu_notifier_seq/count) holds in every version except v4.10 on a lazyfree page, where the CPU
maps a fresh page before invalidate_page runs.`,
  kernel: {
    functions: ['kvm_mmu_notifier_invalidate_page', 'kvm_arch_mmu_notifier_invalidate_page', 'kvm_mmu_notifier_invalidate_range_start', 'kvm_arch_mmu_notifier_invalidate_range', 'kvm_mmu_notifier_invalidate_range', 'kvm_vcpu_reload_apic_access_page', 'vcpu_enter_guest', 'tdp_page_fault'],
    files: ['virt/kvm/kvm_main.c', 'arch/x86/kvm/x86.c', 'arch/x86/kvm/mmu.c', 'mm/rmap.c'],
    commits: ['c7ab0d2fdc84 mm: convert try_to_unmap_one() to use page_vma_mapped_walk() (v4.11)', '369ea8242c0f mm/rmap: update to new mmu_notifier semantic v2 (v4.13)', 'b1394e745b94 KVM: x86: fix APIC page invalidation (v4.15)', 'e649b3f0188f KVM: x86: Fix APIC page invalidation race (v5.8)'],
  },
  params: {
    version: oneOf(VERSION_NAMES, 'v4.13', 'the kernel: v4.10 (invalidate_page after the PTL), v4.13-rc (under it), v4.13 (the series), v4.15 (b1394e745b94), v5.8 (e649b3f0188f)'),
    path: oneOf(SERIES_PATHS, 'reclaim', 'the kernel path that invalidates (docs/kernel.md)'),
    part: oneOf(PARTS, 'apic', "apic: the APIC-access page cached in the VMCS; memory: guest memory's SPTEs"),
    ...scaleParams({
      addresses: 'guest pages, one invalidating thread each; a vCPU fault picks one (part=memory)',
      faults: 'vCPU fault threads (part=memory)',
      attempts: 'tries of each vCPU fault; mmu_notifier_retry sends it back (part=memory)',
    }),
    huge: hugeParam(),
    mutant: oneOf(MUTANTS, 'none', 'a near miss of a fixed version (see mmcheck mutants kvm-2017)'),
  },
  expect,
  variants,
  mutants: [
    { name: 'seq-in-start', description: 'guest memory, v4.13: mmu_notifier_seq++ in range_start instead of range_end: a pfn fetched before the PTE change passes mmu_notifier_retry', params: { mutant: 'seq-in-start', part: 'memory' }, breaks: NO_USE_AFTER_FREE },
    { name: 'no-kick', description: "APIC page, v5.8: ->invalidate_range posts KVM_REQ_APIC_PAGE_RELOAD without kicking the vCPUs out of guest mode and waiting", params: { mutant: 'no-kick', version: 'v5.8' }, breaks: NO_USE_AFTER_FREE },
    onePageRangeMutant({ part: 'memory' }),
  ],
  build: ({ version, path, part, addresses, faults, attempts, huge, mutant }) => {
    const era = VERSIONS.find((v) => v.name === version)!.era;
    if ((part as Part) === 'memory') {
      if (mutant === 'no-kick') throw new Error('mutant=no-kick is a near miss of the APIC-access page reload: use it with part=apic');
      const kvmMutant = mutant === 'seq-in-start' ? 'seq-in-start' : 'none';
      const ops: NotifierOps<KvmState> = version === 'v4.10' || version === 'v4.13-rc' ? { ...kvmNotifier(kvmMutant), ...kvmInvalidatePage() } : kvmNotifier(kvmMutant);
      // huge: the vCPUs' SPTEs map both subpages (4 KiB each) before the migration starts.
      refuseHugeAddresses(huge, addresses);
      const k = kernelSide<typeof KVM_FIELDS>({ path: path as SeriesPath, addresses: huge ? 2 : addresses, driver: KVM_FIELDS, ops, era, huge, deviceMapped: huge, onePageRange: mutant === 'one-page-range' });
      const steps = kvmFaultSteps({ addresses, mutant: kvmMutant, ops, victim: k.victim, meets: k.meets, reclaimEra: era });
      return threadModel<KvmState>({
        name: 'kvm-2017',
        shared: k.shared,
        strings: PAGE_STATES,
        locks: { ...k.locks, [MMU_LOCK]: 'spinlock' },
        threads: [
          ...k.threads,
          ...Array.from({ length: faults }, (_, i) => ({ name: `vcpu${i}`, locals: FaultLocal({ left: attempts }), steps, group: 'vcpu' })),
          // A thread of the VMM process (QEMU) touching guest memory: its write fault may map a fresh page.
          { name: 'cpu', locals: null, steps: cpuFault<KvmState>(0, ops, k.meets) },
        ],
        invariants: mmInvariants<typeof KVM_FIELDS>(),
      });
    }
    if (addresses > 1 || faults > 1 || attempts > 1) throw new Error("addresses, faults and attempts scale guest memory (part=memory): the APIC-access page is one page per VM, reloaded by every vCPU alike (docs/series.md, 'Scaling')");
    if (huge) throw new Error('huge=true is guest memory (part=memory): the APIC-access page is one 4 KiB page of KVM\'s own private memslot');
    if (mutant === 'seq-in-start' || mutant === 'one-page-range') throw new Error(`mutant=${mutant} is a near miss of guest memory: use it with part=memory`);
    const ops = apicOps(version as Version, mutant as Mutant);
    const k = kernelSide<ApicFields>({ path: path as SeriesPath, addresses: 1, driver: { reload: false }, ops, era, deviceMapped: true });
    return threadModel<A>({
      name: 'kvm-2017',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: k.locks,
      threads: [...k.threads, { name: 'vcpu', locals: VcpuLocal(), steps: vcpuApicSteps(ops, k.victim, k.meets), daemon: true }],
      invariants: mmInvariants<ApicFields>(),
    });
  },
});
