// invalidate_page under the PTL with a driver that sleeps in it (v4.11–v4.13-rc, after
// c7ab0d2fdc84; docs/kernel.md A2): sleeping under a spinlock; and amdgpu's GFP_KERNEL
// allocation under its own notifier lock deadlocks through direct reclaim, in every era.
//
// Kernel side, mm/rmap.c try_to_unmap_one() after c7ab0d2fdc84 "mm: convert
// try_to_unmap_one() to use page_vma_mapped_walk()" (models/mm/try-to-unmap.ts, era v4.11):
//   while (page_vma_mapped_walk(&pvmw)) {            PTL taken
//       ptep_clear_flush; swap entry; page_remove_rmap; put_page;
//       mmu_notifier_invalidate_page(mm, address);    still under the PTL
//   }
// run by shrink_page_list with the page locked (models/mm/reclaim.ts).
// Driver: drivers/gpu/drm/amd/amdgpu/amdgpu_mn.c (v4.13-rc text read):
//   amdgpu_mn_invalidate_page(): mutex_lock(&rmn->lock) for any address of the mm (the
//     interval-tree lookup comes after the lock), unbind the userptr BOs over it; unlock. The
//     same shape was in ib_umem_notifier_invalidate_page (down_read(umem_rwsem)) and
//     gntdev (mutex_lock(&priv->lock)).
//   amdgpu_mn_register() (userptr ioctl): mutex_lock(&rmn->lock); walk the interval tree;
//     if no node: node = kmalloc(sizeof(*node), GFP_KERNEL) — with rmn->lock held; insert;
//     mutex_unlock. Later kernels allocate the node before taking the lock.
// Real report, 3 Aug 2017 (Alex Xie, AMD): "BUG: sleeping function called from invalid context
// at kernel/locking/mutex.c" from amdgpu_mn_invalidate_page under page_vma_mapped_walk's
// spinlock — what the 2017 series (ea25c4317946) answered by killing invalidate_page.
// The deadlock (`register=alloc-under-lock`, default): the allocation enters direct reclaim
// (models/mm/direct-reclaim.ts), reclaim unmaps a page of the same mm and calls
// invalidate_page in this thread, which waits for rmn->lock — held by itself. It does not need
// the PTL: the same deadlock happens after the PTL (semantic=v4.10) and with range_start.
// `register=alloc-first` allocates before taking the lock.
import { defineModel, oneOf, threadModel, type Step } from '../../src/index.ts';
import { allocationStep, clearSptes, directReclaim, expectations, initialMm, mmInvariants, mmLocks, PAGE_STATES, shrinkPage, spteKeys, type MmState, type NotifierOps } from '../mm/index.ts';

type S = MmState;
const DRIVER_LOCK = 'rmn_lock';
const VICTIM = 1;

const sleepingInvalidatePage: NotifierOps<S> = {
  invalidatePage: (v) => [
    { label: 'inv_page.lock', kernel: 'amdgpu_mn_invalidate_page', note: 'mutex_lock(&rmn->lock) — sleeps', acquire: DRIVER_LOCK },
    {
      label: 'inv_page.zap',
      kernel: 'amdgpu_mn_invalidate_node',
      note: 'holds rmn->lock: unbind the userptr pages over the address and wait for the GPU (SPTE := none); mutex_unlock(&rmn->lock)',
      release: DRIVER_LOCK,
      reads: [`spte[${v}]`],
      writes: spteKeys(v, v + 1),
      do: ({ shared }) => ({ shared: clearSptes(shared, v, v + 1) }),
    },
  ],
};

/** amdgpu_mn_register: the interval-tree node allocation, under rmn->lock or before it. */
function registerSteps(mode: 'alloc-under-lock' | 'alloc-first', era: 'v4.10' | 'v4.11'): Step<S, null, any>[] {
  const alloc = allocationStep<S, null>({
    label: 'kmalloc',
    kernel: 'amdgpu_mn_register',
    note: mode === 'alloc-under-lock' ? 'holds rmn->lock: node = kmalloc(sizeof(*node), GFP_KERNEL) — may sleep and enter direct reclaim' : 'node = kmalloc(sizeof(*node), GFP_KERNEL), no lock held — may sleep and enter direct reclaim',
    gfp: 'kernel',
    victim: VICTIM,
    drPrefix: 'dr.',
  });
  const lock: Step<S, null> = { label: 'lock', kernel: 'amdgpu_mn_register', note: 'mutex_lock(&rmn->lock); walk the interval tree', acquire: DRIVER_LOCK };
  const insert: Step<S, null> = { label: 'insert', kernel: 'amdgpu_mn_register', note: 'holds rmn->lock: insert the node; mutex_unlock(&rmn->lock)', release: DRIVER_LOCK, goto: 'done' };
  return [...(mode === 'alloc-under-lock' ? [lock, alloc] : [alloc, lock]), insert, ...directReclaim<S, null>(VICTIM, sleepingInvalidatePage, 'dr.', 'kmalloc', era)];
}

export default defineModel({
  name: 'invalidate-page-under-ptl',
  summary: 'invalidate_page under the PTL, amdgpu takes a mutex in it (A2): sleep under spinlock; GFP_KERNEL under that mutex: deadlock',
  description: `
A reclaim thread runs shrink_page_list with the v4.11 try_to_unmap_one, which calls
invalidate_page with the PTL held; amdgpu's callback takes its mutex rmn->lock: 'no sleeping
under a spinlock' is violated. An ioctl thread runs amdgpu_mn_register, which allocated its
interval-tree node with GFP_KERNEL holding rmn->lock: the allocation enters direct reclaim,
which calls invalidate_page in that thread, and it waits for its own mutex: 'deadlock freedom'
is violated — in every notifier era. semantic=v4.10 (callback after the PTL) removes the sleep,
register=alloc-first removes the deadlock.`,
  kernel: {
    functions: ['try_to_unmap_one', 'page_vma_mapped_walk', 'mmu_notifier_invalidate_page', 'amdgpu_mn_invalidate_page', 'amdgpu_mn_register', '__alloc_pages_direct_reclaim'],
    files: ['mm/rmap.c', 'mm/vmscan.c', 'mm/page_alloc.c', 'drivers/gpu/drm/amd/amdgpu/amdgpu_mn.c'],
    commits: ['c7ab0d2fdc84 mm: convert try_to_unmap_one() to use page_vma_mapped_walk()', 'aac2fea94f7a rmap: do not call mmu_notifier_invalidate_page() under ptl (reverted in 785373b4c387)'],
  },
  params: {
    semantic: oneOf(['v4.11', 'v4.10'], 'v4.11', 'v4.11: invalidate_page under the PTL; v4.10: after it'),
    register: oneOf(['alloc-under-lock', 'alloc-first'], 'alloc-under-lock', "amdgpu_mn_register's node allocation: under rmn->lock (v4.13-era code) or before taking it"),
  },
  // The deadlock is also a progress violation: its state repeats forever with both threads stuck.
  expect: expectations(['no sleeping under a spinlock', 'deadlock freedom', 'progress']),
  variants: [
    { params: { semantic: 'v4.10' }, expect: expectations(['deadlock freedom', 'progress']) },
    { params: { register: 'alloc-first' }, expect: expectations(['no sleeping under a spinlock']) },
    { params: { semantic: 'v4.10', register: 'alloc-first' }, expect: expectations([]) },
  ],
  build: ({ semantic, register }) => {
    const era = semantic as 'v4.11' | 'v4.10';
    return threadModel<S>({
      name: 'invalidate-page-under-ptl',
      shared: initialMm(1, 1, {}, { victim: true }),
      strings: PAGE_STATES,
      locks: { ...mmLocks({ addresses: 2, pages: 3 }), [DRIVER_LOCK]: 'mutex' },
      threads: [
        { name: 'reclaim', locals: null, steps: shrinkPage<object>(0, 0, sleepingInvalidatePage, { era }) },
        { name: 'register', locals: null, steps: registerSteps(register as 'alloc-under-lock' | 'alloc-first', era) },
      ],
      invariants: mmInvariants(),
    });
  },
});
