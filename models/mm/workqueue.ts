// Workqueues and work items (kernel/workqueue.c, include/linux/workqueue.h, v4.14): a work
// item's PENDING bit and whether a worker runs it, queue_work, a worker thread running work
// functions, flush_work, flush_workqueue and cancel_work_sync — what a driver uses to defer a
// teardown out of an mmu_notifier callback (i915's cancel_userptr, amdgpu's and radeon's
// userptr workers).
//
//   queue_work(wq, work)       test_and_set_bit(WORK_STRUCT_PENDING_BIT): already pending (or
//                              being cancelled) → returns false, the item is NOT queued twice;
//                              else __queue_work → insert_work, returns true. Never sleeps.
//   worker_thread()            a kworker: process_one_work() clears PENDING
//                              (set_work_pool_and_clear_pending) before calling work->func, so
//                              queue_work from then on queues it again; the same item never runs
//                              on two workers at once (non-reentrant since v3.7). No lock held.
//   flush_work(work)           waits (sleeps) until the item is neither pending nor running
//                              (start_flush_work inserts a barrier behind it); called from the
//                              work function itself it waits for itself: lockdep's
//                              lock_map_acquire(&work->lockdep_map) reports it, and it deadlocks.
//   flush_workqueue(wq)        waits until every item of the queue queued before it has run.
//   cancel_work_sync(work)     __cancel_work_timer: try_to_grab_pending steals PENDING (the item
//                              will not run; queue_work fails while it is being cancelled,
//                              WORK_OFFQ_CANCELING), then flush_work waits for a running instance.
// FIXME: flush_work / flush_workqueue wait until the items are idle, not for the instance
// queued before the flush: an item queued again after the flush began is waited for too (the
// kernel would not). A composing model that re-queues during a flush over-approximates waits.
import { Record, type RecordOf } from 'immutable';
import type { Step, ThreadSpec } from '../../src/model/dsl.ts';
import { embed } from './embed.ts';
import { fieldOf, withField } from './field.ts';

/** A work item's state (work_struct's data bits, and whether a worker runs its function). */
export interface WorkFields {
  /** WORK_STRUCT_PENDING: queued and not yet picked up by a worker. */
  readonly pending: boolean;
  /** A worker is running the work function (current_work). */
  readonly running: boolean;
  /** cancel_work_sync owns the item (WORK_OFFQ_CANCELING): queue_work fails. */
  readonly canceling: boolean;
}
/** A work item's state, kept in a field of the shared state the composing model names. */
export type Work = RecordOf<WorkFields>;
/** An idle work item (INIT_WORK): `{ ..., cancelWork: Work() }` in the shared Record. */
export const Work = Record<WorkFields>({ pending: false, running: false, canceling: false }, 'Work');

/** work_pending(work): the item is queued and has not started. */
export function workPending(s: unknown, work: string): boolean {
  return fieldOf<Work>(s, work).pending;
}

/** Whether the item is idle: neither pending nor running (what flush_work waits for). */
export function workIdle(s: unknown, work: string): boolean {
  const w = fieldOf<Work>(s, work);
  return !w.pending && !w.running;
}

/** Options of a workqueue step. */
export interface WorkStepOptions {
  /** The step's label (default the kernel function's name); unique within its thread. */
  readonly label?: string;
  /** The workqueue's name, for traces (default 'wq'). */
  readonly wq?: string;
}

/**
 * queue_work(wq, &work): sets PENDING and returns true, or returns false when the item is
 * already pending or being cancelled (then the step goes to `busy`, if given). Never sleeps.
 *
 * @example
 *   queueWork<S>('cancelWork', { wq: 'mn->wq' })
 */
export function queueWork<S>(work: string, o: WorkStepOptions & { readonly busy?: string } = {}): Step<S, any> {
  return {
    label: o.label ?? 'queue_work',
    kernel: 'queue_work',
    note: `queue_work(${o.wq ?? 'wq'}, &${work}): test_and_set_bit(PENDING); already pending → returns false, not queued twice`,
    reads: [work],
    writes: [work],
    ...(o.busy ? { targets: [o.busy] } : {}),
    do: (c) => {
      const w = fieldOf<Work>(c.shared, work);
      if (w.pending || w.canceling) return o.busy ? { goto: o.busy } : {};
      return { shared: withField(c.shared, work, w.set('pending', true)) };
    },
  };
}

/** One work item a worker thread runs: its field and its work function's steps. */
export interface WorkItem<S> {
  /** The field holding the item's Work state; also the prefix of its function's labels (`field.label`). */
  readonly work: string;
  /** The work function (work->func), as steps run by the worker with no lock held. */
  readonly fn: readonly Step<S, any>[];
  /** The work function's name, for traces (e.g. 'cancel_userptr'). */
  readonly func?: string;
}

/**
 * A kworker serving `items`: at rest at 'worker_thread' (an end point) until one of them is
 * pending, then process_one_work clears PENDING, marks it running and runs its function (labels
 * `work.label`), then marks it idle and rests again. One worker runs one item at a time: give
 * each item its own worker for a concurrency-managed queue (any item may run beside another),
 * one worker for several items for an ordered queue (alloc_ordered_workqueue).
 */
export function workerThread<S, L = null>(name: string, items: readonly WorkItem<S>[], locals?: L): ThreadSpec<S, L> {
  const fields = items.map((i) => i.work);
  const entry = (i: WorkItem<S>) => (i.fn.length ? `${i.work}.${i.fn[0].label}` : `${i.work}.return`);
  const steps: Step<S, any, string>[] = [
    {
      label: 'worker_thread',
      kernel: 'worker_thread',
      note: `idle until ${fields.join(' or ')} is pending; process_one_work: clear PENDING, mark it running, call its function`,
      end: true,
      reads: fields,
      writes: fields,
      targets: items.map(entry),
      choose: (c) => fields.filter((f) => fieldOf<Work>(c.shared, f).pending && !fieldOf<Work>(c.shared, f).running),
      do: (c, f) => ({ shared: withField(c.shared, f, fieldOf<Work>(c.shared, f).merge({ pending: false, running: true })), goto: entry(items[fields.indexOf(f)]) }),
    },
  ];
  for (const item of items) {
    steps.push(...embed<S, any>(item.fn, `${item.work}.`, `${item.work}.return`));
    steps.push({
      label: `${item.work}.return`,
      kernel: 'process_one_work',
      note: `${item.func ?? 'the work function'} returned: ${item.work} is no longer running`,
      reads: [item.work],
      writes: [item.work],
      do: (c) => ({ shared: withField(c.shared, item.work, fieldOf<Work>(c.shared, item.work).set('running', false)) }),
      goto: 'worker_thread',
    });
  }
  return { name, steps, ...(locals === undefined ? {} : { locals }) };
}

/** flush_work(&work): sleeps until the item is neither pending nor running. From its own work function it deadlocks. */
export function flushWork<S>(work: string, o: WorkStepOptions = {}): Step<S, any> {
  return {
    label: o.label ?? 'flush_work',
    kernel: 'flush_work',
    note: `flush_work(&${work}): wait (sleeping) until it has run`,
    maySleep: true,
    reads: [work],
    writes: [],
    when: (c) => workIdle(c.shared, work),
  };
}

/** flush_workqueue(wq): sleeps until every item in `works` (the queue's items) is idle. */
export function flushWorkqueue<S>(works: readonly string[], o: WorkStepOptions = {}): Step<S, any> {
  return {
    label: o.label ?? 'flush_workqueue',
    kernel: 'flush_workqueue',
    note: `flush_workqueue(${o.wq ?? 'wq'}): wait (sleeping) until ${works.join(', ')} ${works.length > 1 ? 'have' : 'has'} run`,
    maySleep: true,
    reads: [...works],
    writes: [],
    when: (c) => works.every((w) => workIdle(c.shared, w)),
  };
}

/**
 * cancel_work_sync(&work), two steps: try_to_grab_pending takes PENDING away (the item will
 * not run; queue_work fails meanwhile), then flush_work waits (sleeping) for a running
 * instance to return. From its own work function it deadlocks.
 */
export function cancelWorkSync<S>(work: string, o: WorkStepOptions = {}): Step<S, any>[] {
  const label = o.label ?? 'cancel_work_sync';
  return [
    {
      label,
      kernel: 'cancel_work_sync',
      note: `__cancel_work_timer(&${work}): try_to_grab_pending — PENDING cleared, the item marked CANCELING`,
      maySleep: true,
      reads: [work],
      writes: [work],
      when: (c) => !fieldOf<Work>(c.shared, work).canceling,
      do: (c) => ({ shared: withField(c.shared, work, fieldOf<Work>(c.shared, work).merge({ pending: false, canceling: true })) }),
    },
    {
      label: `${label}.flush`,
      kernel: 'cancel_work_sync',
      note: `flush_work(&${work}): wait (sleeping) for a running instance; then clear CANCELING`,
      maySleep: true,
      reads: [work],
      writes: [work],
      when: (c) => !fieldOf<Work>(c.shared, work).running,
      do: (c) => ({ shared: withField(c.shared, work, fieldOf<Work>(c.shared, work).set('canceling', false)) }),
    },
  ];
}

