// i915 userptr's asynchronous cancel (drivers/gpu/drm/i915/i915_gem_userptr.c): since
// 380996aab50e (v4.4, "drm/i915: Use a task to cancel the userptr on invalidate_range")
// i915_gem_userptr_mn_invalidate_range_start, under mn->lock (a spinlock), only queues the
// object's cancel_userptr work on mn->wq and returns; the worker later takes struct_mutex,
// unbinds the object from the GPU (waiting for it) and drops its pinned pages. Until then the
// GPU still reaches the old page — past range_end, once munmap/MADV_DONTNEED has returned.
// Fixed by ending the callback with flush_workqueue(mn->wq) once mn->lock is dropped (v4.12's
// i915_gem_userptr.c has it): the cancel has run when range_start returns. `-p fix=true`.
// Kernel side: zap_page_range on address 0 (models/mm/zap.ts); the GPU's pin is the page's
// second reference, so the page lives until cancel_userptr puts it.
import { bool, defineModel, threadModel, type Step } from '../../src/index.ts';
import { clearSptes, COHERENCE, expectations, flushWorkqueue, initialMm, mmInvariants, mmLocks, PAGE_STATES, putPage, queueWork, spteKeys, Work, workerThread, zapBatch, zapPageRange, type MmState, type NotifierOps } from '../mm/index.ts';

type S = MmState<{ cancel: Work }>;

/** cancel_userptr(): struct_mutex; i915_gem_object_unbind (waits for the GPU) and put_pages. */
const cancelUserptr: Step<S, null>[] = [
  {
    label: 'unbind_put_pages',
    kernel: 'cancel_userptr',
    note: 'mutex_lock(struct_mutex); i915_gem_object_unbind: GPU PTE cleared and flushed; __i915_gem_object_put_pages: the pin dropped; mutex_unlock',
    acquire: 'struct_mutex',
    release: 'struct_mutex',
    reads: ['pages'],
    writes: [...spteKeys(0, 1), 'pages'],
    do: ({ shared }) => ({ shared: putPage(clearSptes(shared, 0, 1), 0) }),
  },
];

/** i915_gem_userptr_mn_invalidate_range_start: queue the cancel under mn->lock; with the fix, flush mn->wq. */
const userptrOps = (fix: boolean): NotifierOps<S> => ({
  invalidateRangeStart: () => [
    { ...queueWork<S>('cancel', { wq: 'mn->wq', label: 'queue_cancel' }), kernel: 'i915_gem_userptr_mn_invalidate_range_start', acquire: 'mn_lock', release: 'mn_lock' },
    ...(fix ? [flushWorkqueue<S>(['cancel'], { wq: 'mn->wq' })] : []),
  ],
});

export default defineModel({
  name: 'i915-userptr',
  summary: "i915 userptr cancels asynchronously from invalidate_range_start: the GPU outlives munmap's range_end (fix: flush_workqueue)",
  kernel: { functions: ['i915_gem_userptr_mn_invalidate_range_start', 'cancel_userptr', 'queue_work', 'flush_workqueue', 'zap_page_range'], files: ['drivers/gpu/drm/i915/i915_gem_userptr.c', 'kernel/workqueue.c', 'mm/memory.c'], commits: ['380996aab50e drm/i915: Use a task to cancel the userptr on invalidate_range'] },
  params: { fix: bool(false, 'end invalidate_range_start with flush_workqueue(mn->wq)') },
  expect: expectations([COHERENCE]),
  variants: [{ params: { fix: true }, expect: expectations() }],
  build: ({ fix }) =>
    threadModel<S>({
      name: 'i915-userptr',
      shared: initialMm(1, 0, { cancel: Work() }, { refs: 2, deviceMapped: true }),
      strings: PAGE_STATES,
      locks: { ...mmLocks({ addresses: 1, pages: 1 }), mn_lock: 'spinlock', struct_mutex: 'mutex' },
      threads: [{ name: 'munmap', locals: zapBatch(0, 1), steps: zapPageRange<{ cancel: Work }>(0, 1, userptrOps(fix)) }, workerThread<S>('kworker', [{ work: 'cancel', fn: cancelUserptr, func: 'cancel_userptr' }])],
      invariants: mmInvariants(),
    }),
});
