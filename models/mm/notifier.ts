// A secondary-MMU driver's mmu_notifier callbacks, as steps the kernel side runs inline
// (the callbacks execute in the invalidating thread's context).
//
// include/linux/mmu_notifier.h (v4.13+, after the 2017 series "mmu_notifier kill
// invalidate_page callback"): invalidate_range_start(mm, start, end) before the PTEs
// change, may sleep (blockable); invalidate_range(mm, start, end) under the PTL right after
// the PTE is cleared and the TLB flushed, must not sleep; invalidate_range_end(mm, start,
// end) after the PTL is dropped.
import type { Step } from '../../src/model/dsl.ts';

/** The callbacks a driver registers, each producing the steps it runs for address `v`. */
export interface NotifierOps<S> {
  /** Runs with no spinlock held; may sleep. */
  readonly invalidateRangeStart?: (v: number) => readonly Step<S, any>[];
  /** Runs under the PTL (from ptep_clear_flush_notify / mmu_notifier_invalidate_range); must not sleep. */
  readonly invalidateRange?: (v: number) => readonly Step<S, any>[];
  /** Runs after the PTL is released; may sleep. */
  readonly invalidateRangeEnd?: (v: number) => readonly Step<S, any>[];
}

/**
 * The steps of one notifier call: the driver's callback if it has one, else a single no-op
 * step so the trace still shows where the kernel called the notifier.
 */
export function notifierCall<S>(
  label: string,
  kernel: string,
  callback: ((v: number) => readonly Step<S, any>[]) | undefined,
  v: number,
): Step<S, any>[] {
  if (callback) return [...callback(v)];
  return [{ label, kernel, note: 'no callback registered for this call' }];
}
