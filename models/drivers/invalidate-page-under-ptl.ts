// invalidate_page under the PTL with a driver that sleeps in it (v4.11–v4.13-rc, after
// c7ab0d2fdc84; KERNEL.md A2): sleeping under a spinlock, and a deadlock.
//
// Kernel side, mm/rmap.c try_to_unmap_one() after c7ab0d2fdc84 "mm: convert
// try_to_unmap_one() to use page_vma_mapped_walk()" (T2 in /work/notes/kernel-sources.md):
//   while (page_vma_mapped_walk(&pvmw)) {            PTL taken
//       ptep_clear_flush; page_remove_rmap; put_page;
//       mmu_notifier_invalidate_page(mm, address);    still under the PTL
//   }
// Driver: amdgpu_mn_invalidate_page (v4.13-rc): mutex_lock(&rmn->lock) → ... ; the same shape
// in ib_umem_notifier_invalidate_page (down_read(umem_rwsem)) and gntdev (mutex_lock(&priv->lock)).
// Real report, 3 Aug 2017 (Alex Xie, AMD): "BUG: sleeping function called from invalid context
// at kernel/locking/mutex.c" from amdgpu_mn_invalidate_page under page_vma_mapped_walk's spinlock.
// Deadlock flavour (UNVERIFIED that it was observed): the driver's fault path holds its mutex
// while get_user_pages takes the PTL; the unmapper holds the PTL and waits for the mutex.
// `semantic=v4.10` runs the same driver with invalidate_page after the PTL (legal there).
import { defineModel, oneOf, threadModel, type Step } from '../../src/index.ts';
import { gupStep, expectations, spteKeys, clearSptes, initialMm, mmInvariants, ptl, putPage, setSpte, tryToUnmapOne, type MmState, type NotifierOps, PAGE_STATES } from '../mm/index.ts';

type S = MmState;
const DRIVER_LOCK = 'rmn_lock';

const sleepingInvalidatePage: NotifierOps<S> = {
  invalidatePage: (v) => [
    { label: 'inv_page.lock', kernel: 'amdgpu_mn_invalidate_page', note: 'mutex_lock(&rmn->lock) — sleeps', acquire: DRIVER_LOCK },
    {
      label: 'inv_page.zap',
      kernel: 'amdgpu_mn_invalidate_node',
      note: 'holds rmn->lock: unbind the userptr pages (SPTE := none); mutex_unlock(&rmn->lock)',
      release: DRIVER_LOCK,
      reads: [`spte[${v}]`],
      writes: spteKeys(v, v + 1),
      do: ({ shared }) => ({ shared: clearSptes(shared, v, v + 1) }),
    },
  ],
};

/** The driver's fault path: get_user_pages under its own mutex. */
function faultSteps(): Step<S, number | null>[] {
  return [
    { label: 'lock', kernel: 'driver fault', note: 'mutex_lock(&rmn->lock)', acquire: DRIVER_LOCK },
    gupStep(0, 'holds rmn->lock; follow_page_pte takes the PTL: reference the mapped page', true),
    {
      label: 'map',
      kernel: 'driver fault',
      note: 'holds rmn->lock: SPTE := page; mutex_unlock(&rmn->lock); put_page',
      release: DRIVER_LOCK,
      reads: [],
      writes: spteKeys(0, 1),
      updates: ['pages'], // put_page
      do: ({ shared, local }) => ({ shared: putPage(setSpte(shared, 0, local, true), local!) }),
    },
  ];
}

export default defineModel({
  name: 'invalidate-page-under-ptl',
  summary: 'invalidate_page under the PTL, driver takes a mutex in it (A2): sleep under spinlock + deadlock',
  description: `
A reclaim thread runs the v4.11 try_to_unmap_one, which calls invalidate_page with the PTL
held; the driver's callback takes its mutex (amdgpu rmn->lock). A driver fault thread holds
that mutex while get_user_pages takes the PTL. Expected: 'no sleeping under a spinlock' and
'deadlock freedom' violated. semantic=v4.10 (callback after the PTL) holds both.`,
  kernel: {
    functions: ['try_to_unmap_one', 'page_vma_mapped_walk', 'mmu_notifier_invalidate_page', 'amdgpu_mn_invalidate_page'],
    files: ['mm/rmap.c', 'drivers/gpu/drm/amd/amdgpu/amdgpu_mn.c'],
    commits: ['c7ab0d2fdc84 mm: convert try_to_unmap_one() to use page_vma_mapped_walk()', 'aac2fea94f7a rmap: do not call mmu_notifier_invalidate_page() under ptl (reverted in 785373b4c387)'],
  },
  params: {
    semantic: oneOf(['v4.11', 'v4.10'], 'v4.11', 'v4.11: invalidate_page under the PTL; v4.10: after it'),
  },
  // The deadlock is also a progress violation: its state repeats forever with reclaim stuck.
  expect: expectations(['no sleeping under a spinlock', 'deadlock freedom', 'progress']),
  build: ({ semantic }) =>
    threadModel<S>({
      name: 'invalidate-page-under-ptl',
      shared: initialMm(1, 1, {}),
      strings: PAGE_STATES,
      locks: { [ptl(0)]: 'spinlock', [DRIVER_LOCK]: 'mutex' },
      threads: [
        { name: 'reclaim', locals: null, steps: tryToUnmapOne(0, sleepingInvalidatePage, { era: semantic as 'v4.11' | 'v4.10' }) },
        { name: 'fault', locals: null as number | null, steps: faultSteps() },
      ],
      invariants: mmInvariants(),
    }),
});
