// page_mkclean_one after 2017 (dirty tracking) against drivers that keep or drop a writable
// secondary mapping (docs/kernel.md A11).
//
// Kernel side: mm/rmap.c page_mkclean_one() v4.15+ (models/mm/mkclean.ts): range_start; PTL;
// ptep_clear_flush; pte_wrprotect; pte_mkclean; set_pte_at; unlock; range_end — no
// invalidate_range (0f10851ea475: "we are downgrading page table protection not changing it
// to point to a new page"). Writeback then assumes no one can write the page without a
// write fault that dirties it again.
// Drivers (param `driver`), each with a device fault path that maps writable
// (get_user_pages(FOLL_WRITE): a read-only PTE is made writable by the write fault first):
//   kvm            KVM's range callbacks + mmu_notifier_retry (models/drivers/kvm.ts): holds
//   start-only     zaps in invalidate_range_start, no sequence check (the A4 driver): a fault
//                  that got the page before the write-protect maps it writable afterwards
//   keeps-writable its range_start ignores protection-only invalidations (acts on unmap
//                  only), so the writable mapping made before writeback survives it
// The device starts with address 0 mapped writable.
import { defineModel, oneOf, threadModel, type Step } from '../../src/index.ts';
import { clearSptes, COHERENCE, expectations, gupSteps, kernelSide, keysOf, mmInvariants, NO_WRITABLE_AFTER_WRPROTECT, PAGE_STATES, putPage, setSpte, spteKeys, type FaultKinds, type NotifierOps } from '../mm/index.ts';
import { FaultLocal, KVM_FIELDS, MMU_LOCK, kvmFaultSteps, kvmNotifier, type KvmState } from './kvm.ts';

type S = KvmState;
const DRIVER_LOCK = 'driver_lock';
const DRIVERS = ['start-only', 'keeps-writable', 'kvm'] as const;

const startOnly: NotifierOps<S> = {
  invalidateRangeStart: (start, end) => [
    { label: 'range_start', kernel: 'invalidate_range_start', note: 'mutex_lock(driver_lock); SPTE := none, wait for the device; mutex_unlock', acquire: DRIVER_LOCK, release: DRIVER_LOCK, maySleep: true, reads: keysOf('spte', start, end), writes: spteKeys(start, end), do: ({ shared }) => ({ shared: clearSptes(shared, start, end) }) },
  ],
};
const keepsWritable: NotifierOps<S> = {
  invalidateRangeStart: () => [
    { label: 'range_start', kernel: 'invalidate_range_start', note: 'mutex_lock(driver_lock); a protection change, not an unmap: nothing to do; mutex_unlock', acquire: DRIVER_LOCK, release: DRIVER_LOCK },
  ],
};

/** The start-only / keeps-writable drivers' fault: gup(FOLL_WRITE); map writable; put_page. */
function simpleFault(ops: NotifierOps<S>, victim: number, meets: FaultKinds): Step<S, number | null>[] {
  return [
    ...gupSteps<S>({ v: 0, next: 'map', note: 'no lock held; FOLL_WRITE: a read-only PTE takes a write fault first', write: true, ops, victim, meets }),
    { label: 'map', kernel: 'driver fault', note: 'mutex_lock(driver_lock); SPTE := page, writable; mutex_unlock', acquire: DRIVER_LOCK, release: DRIVER_LOCK, reads: [], writes: spteKeys(0, 1), do: ({ shared, local }) => ({ shared: setSpte(shared, 0, local, true) }) },
    { label: 'put_page', kernel: 'put_page', note: 'drop the get_user_pages reference', reads: [], writes: [], updates: ['pages'], do: ({ shared, local }) => ({ shared: putPage(shared, local!) }), goto: 'done' },
  ];
}

export default defineModel({
  name: 'mkclean-writable',
  summary: 'page_mkclean_one (v4.15+, no invalidate_range) vs a driver that keeps a writable SPTE (A11): violated; with kvm: holds',
  description: `
Writeback write-protects and cleans address 0 with the post-2017 page_mkclean_one while a
device fault thread maps it writable. driver=start-only: the fault got the page before the
write-protect and maps it writable after range_end — a device write the dirty bit never
sees. driver=keeps-writable: the callback ignores protection changes. driver=kvm: the
sequence check makes the fault retry; everything holds.`,
  kernel: {
    functions: ['page_mkclean_one', 'pte_wrprotect', 'pte_mkclean', 'mmu_notifier_invalidate_range_start', 'get_user_pages'],
    files: ['mm/rmap.c', 'Documentation/vm/mmu_notifier.rst'],
    commits: ['0f10851ea475 mm/mmu_notifier: avoid double notification when it is useless'],
  },
  params: {
    driver: oneOf(DRIVERS, 'start-only', 'the secondary-MMU driver'),
  },
  expect: expectations([COHERENCE, NO_WRITABLE_AFTER_WRPROTECT]),
  variants: [
    { params: { driver: 'keeps-writable' }, expect: expectations([COHERENCE, NO_WRITABLE_AFTER_WRPROTECT]) },
    { params: { driver: 'kvm' }, expect: expectations([]) },
  ],
  build: ({ driver }) => {
    const ops = driver === 'kvm' ? kvmNotifier() : driver === 'start-only' ? startOnly : keepsWritable;
    const k = kernelSide<typeof KVM_FIELDS>({ path: 'mkclean', addresses: 1, driver: KVM_FIELDS, ops, deviceMapped: true });
    return threadModel<S>({
      name: 'mkclean-writable',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, [DRIVER_LOCK]: 'mutex', [MMU_LOCK]: 'spinlock' },
      threads: [
        ...k.threads,
        driver === 'kvm'
          ? { name: 'vcpu', locals: FaultLocal({ left: 2 }), steps: kvmFaultSteps({ addresses: 1, ops, victim: k.victim, meets: k.meets }) }
          : { name: 'fault', locals: null as number | null, steps: simpleFault(ops, k.victim, k.meets) },
      ],
      invariants: mmInvariants(),
    });
  },
});
