// Page migration against drivers that follow the notifier protocol (docs/kernel.md A12):
// expected to hold — no device access to the old page once the copy starts.
//
// Kernel side: mm/migrate.c (v4.19; models/mm/migrate.ts): lock_page; try_to_unmap
// (TTU_MIGRATION: range_start; PTL; clear + migration entry; unlock; range_end); refcount
// check (-EAGAIN and undo if someone holds a reference); copy; remove_migration_ptes (PTE :=
// new page, no notifier); unlock_page; put_page(old) frees it. CPU faults and get_user_pages
// that meet the migration entry sleep in __migration_entry_wait until unlock_page.
// Drivers (param `driver`): kvm (A5 callbacks and vCPU faults) or interval (the A9 interval
// notifier and its reader), as `kvm -p path=migrate` and `interval-notifier -p path=migrate`
// compose them, plus a CPU thread writing the address (it waits on the migration entry).
// A device access to the old page after the copy would be a lost write: it shows as a
// secondary mapping of the old page while the PTE holds the migration entry (coherence) or
// after the page is freed (use-after-free).
// Mutants: kvm-seq-in-start and interval-no-set-seq must be caught.
import { defineModel, int, oneOf, threadModel } from '../../src/index.ts';
import { COHERENCE, cpuFault, expectations, kernelSide, mmInvariants, type MmState, PAGE_STATES } from '../mm/index.ts';
import { FaultLocal, KVM_FIELDS, MMU_LOCK, kvmFaultSteps, kvmNotifier } from './kvm.ts';
import { INTERVAL_FIELDS, MMN_LOCK, ReaderLocal, USER_LOCK, intervalNotifierOps, readerSteps } from './interval-notifier.ts';

const MUTANTS = ['none', 'kvm-seq-in-start', 'interval-no-set-seq'] as const;

export default defineModel({
  name: 'migration',
  summary: 'migrate_pages with a migration entry against KVM or interval-notifier drivers and a CPU writer (A12): holds',
  description: `
A migration thread moves page 0 to a spare page while device fault threads (KVM vCPUs, or
interval-notifier readers) and a CPU thread touch address 0. The device mapping is removed in
range_start and cannot be re-established until the new page is in place: faults that meet
the migration entry wait for the page lock. Expected: every property holds.`,
  kernel: {
    functions: ['unmap_and_move', 'try_to_unmap_one', 'migrate_page_move_mapping', 'migrate_page_copy', 'remove_migration_pte', '__migration_entry_wait'],
    files: ['mm/migrate.c', 'mm/rmap.c', 'mm/memory.c'],
  },
  params: {
    driver: oneOf(['kvm', 'interval'], 'kvm', 'the secondary-MMU driver'),
    faults: int(1, 'device fault threads', { min: 1, max: 2 }),
    cpu: int(1, 'CPU threads writing address 0', { min: 0, max: 1 }),
    mutant: oneOf(MUTANTS, 'none', 'a near-miss variant (see mmcheck mutants migration)'),
  },
  expect: expectations([]),
  mutants: [
    { name: 'kvm-seq-in-start', description: 'KVM bumps mmu_notifier_seq in range_start', params: { driver: 'kvm', mutant: 'kvm-seq-in-start' }, breaks: COHERENCE },
    { name: 'interval-no-set-seq', description: 'the interval notifier never calls mmu_interval_set_seq', params: { driver: 'interval', mutant: 'interval-no-set-seq' }, breaks: COHERENCE },
  ],
  build: ({ driver, faults, cpu, mutant }) => {
    if (driver === 'kvm') {
      const ops = kvmNotifier(mutant === 'kvm-seq-in-start' ? 'seq-in-start' : 'none');
      const k = kernelSide<typeof KVM_FIELDS>({ path: 'migrate', addresses: 1, driver: KVM_FIELDS, ops });
      const vcpuSteps = kvmFaultSteps({ addresses: 1, ops, victim: k.victim, meets: k.meets }); // one program for the group (symmetry)
      return threadModel<MmState<typeof KVM_FIELDS>>({
        name: 'migration',
        shared: k.shared,
        strings: PAGE_STATES,
        locks: { ...k.locks, [MMU_LOCK]: 'spinlock' },
        threads: [
          ...k.threads,
          ...Array.from({ length: faults }, (_, i) => ({ name: `vcpu${i}`, locals: FaultLocal({ left: 2 }), steps: vcpuSteps, group: 'vcpu' })),
          ...Array.from({ length: cpu }, () => ({ name: 'cpu', locals: null as number | null, steps: cpuFault(0, ops, k.meets) })),
        ],
        invariants: mmInvariants(),
      });
    }
    const ops = intervalNotifierOps(mutant === 'interval-no-set-seq' ? 'no-set-seq' : 'none');
    const k = kernelSide<typeof INTERVAL_FIELDS>({ path: 'migrate', addresses: 1, driver: INTERVAL_FIELDS, ops });
    const faultSteps = readerSteps({ ops, addresses: 1, victim: k.victim, meets: k.meets }); // one program for the group (symmetry)
    return threadModel<MmState<typeof INTERVAL_FIELDS>>({
      name: 'migration',
      shared: k.shared,
      strings: PAGE_STATES,
      locks: { ...k.locks, [MMN_LOCK]: 'spinlock', [USER_LOCK]: 'mutex' },
      threads: [
        ...k.threads,
        ...Array.from({ length: faults }, (_, i) => ({ name: `fault${i}`, locals: ReaderLocal({ left: 2 }), steps: faultSteps, group: 'fault' })),
        ...Array.from({ length: cpu }, () => ({ name: 'cpu', locals: null as number | null, steps: cpuFault(0, ops, k.meets) })),
      ],
      invariants: mmInvariants(),
    });
  },
});
