// A secondary-MMU driver's mmu_notifier callbacks, as steps the kernel side runs inline (the
// callbacks execute in the invalidating thread's context), and the bookkeeping of which
// addresses the subscriber is "inside an invalidation" of.
//
// include/linux/mmu_notifier.h and mm/mmu_notifier.c (v4.13+, after the 2017 series
// "mmu_notifier kill invalidate_page callback", merged as ea25c4317946):
//   invalidate_range_start(mm, start, end)  before the PTEs change; no spinlock held, may sleep
//   invalidate_range(mm, start, end)        under the PTL right after the PTE is cleared and
//                                           the TLB flushed (ptep_clear_flush_notify,
//                                           tlb_flush_mmu_tlbonly); must not sleep
//   invalidate_range_end(mm, start, end)    after the PTL is dropped; __mmu_notifier_
//                                           invalidate_range_end calls ->invalidate_range
//                                           first, then ->invalidate_range_end (unless the
//                                           caller used mmu_notifier_invalidate_range_only_end)
// Before v4.13: invalidate_page(mm, address) once the PTE is zapped: after pte_unmap_unlock
// up to v4.10, under the PTL from v4.11 (c7ab0d2fdc84) until the 2017 series removed it.
//
// Bookkeeping (not kernel state): `inval[v]` is raised by the first step of the range_start
// callback and lowered by the last step of the range_end callback for every v in [start,
// end): the window the mmu_notifier.h contract lets a secondary mapping disagree with the
// CPU PTE. For invalidate_page there is no start: the window opens when the kernel changes
// the PTE (`openInvalidation`) and closes when the callback returns.
import type { Step, StepContext, StepEffect } from '../../src/model/dsl.ts';
import { extendFootprint, keysOf } from './keys.ts';
import { mm, setMm, type AnyMm } from './state.ts';

/** How the kernel calls a range callback. */
export interface CallContext {
  /**
   * mmu_notifier_range_blockable(): false in the OOM reaper's non-blocking invalidation
   * (v4.19+, 93065ac753e4 "mm, oom: distinguish blockable mode for mmu notifiers"), where a
   * callback that would sleep must return -EAGAIN (an interval notifier returns false).
   */
  readonly blockable: boolean;
  /** Where a callback that cannot proceed without blocking jumps (its caller's -EAGAIN handling), when not blockable. */
  readonly fail?: string;
}

/** The context of every call except the OOM reaper's: the callback may sleep. */
export const BLOCKABLE: CallContext = { blockable: true };

/** A callback producing the steps it runs for the address range [start, end). */
export type RangeCallback<S> = (start: number, end: number, ctx: CallContext) => readonly Step<S, any>[];

/** The callbacks a driver registers. */
export interface NotifierOps<S> {
  /** Runs with no spinlock held; may sleep. */
  readonly invalidateRangeStart?: RangeCallback<S>;
  /** Runs under the PTL (ptep_clear_flush_notify, tlb_flush_mmu_tlbonly), and again from range_end; must not sleep. */
  readonly invalidateRange?: RangeCallback<S>;
  /** Runs after the PTL is released; may sleep. */
  readonly invalidateRangeEnd?: RangeCallback<S>;
  /** The pre-2017 callback: invalidate_page(mm, address), called once the PTE is zapped. */
  readonly invalidatePage?: (v: number) => readonly Step<S, any>[];
}

/** Adds `delta` to inval[v] for v in [start, end). */
export function shiftInval<T extends AnyMm>(s: T, start: number, end: number, delta: number): T {
  let inval = mm(s).inval;
  for (let v = start; v < end; v++) inval = inval.set(v, inval.get(v)! + delta);
  return setMm(s, 'inval', inval);
}

/** A step that also applies `f` to the shared state after its own effect; `f` reads and writes `keys`. */
function alsoDo<S>(step: Step<S, any>, keys: readonly string[], f: (s: S) => S): Step<S, any> {
  const own = step.do;
  return {
    ...step,
    ...extendFootprint(step, keys, keys),
    do: (c: StepContext<S, any>, choice: unknown): StepEffect<S, any> => {
      const eff = own ? own(c, choice) : undefined;
      return { ...(eff ?? {}), shared: f(eff && eff.shared !== undefined ? eff.shared : c.shared) };
    },
  };
}

function callbackSteps<S>(label: string, kernel: string, steps: readonly Step<S, any>[] | undefined): Step<S, any>[] {
  if (steps && steps.length) return [...steps];
  return [{ label, kernel, note: 'no callback registered for this call' }];
}

/**
 * mmu_notifier_invalidate_range_start(mm, start, end): the driver's callback (or a no-op step
 * showing where the kernel called it); its first step opens the invalidation window.
 */
export function rangeStartCall<S extends AnyMm>(ops: NotifierOps<S>, start: number, end: number, label = 'range_start', ctx: CallContext = BLOCKABLE): Step<S, any>[] {
  const steps = callbackSteps<S>(label, 'mmu_notifier_invalidate_range_start', ops.invalidateRangeStart?.(start, end, ctx));
  steps[0] = alsoDo(steps[0], keysOf('inval', start, end), (s) => shiftInval(s, start, end, +1));
  return steps;
}

/**
 * mmu_notifier_invalidate_range_end(mm, start, end): ->invalidate_range (unless `onlyEnd`,
 * mmu_notifier_invalidate_range_only_end) then ->invalidate_range_end; its last step closes
 * the invalidation window.
 */
export function rangeEndCall<S extends AnyMm>(ops: NotifierOps<S>, start: number, end: number, options: { onlyEnd?: boolean; label?: string } = {}): Step<S, any>[] {
  const label = options.label ?? 'range_end';
  const inner = [
    ...(!options.onlyEnd && ops.invalidateRange ? relabel(ops.invalidateRange(start, end, BLOCKABLE), 'end.') : []),
    ...(ops.invalidateRangeEnd ? ops.invalidateRangeEnd(start, end, BLOCKABLE) : []),
  ];
  const steps = callbackSteps<S>(label, 'mmu_notifier_invalidate_range_end', inner);
  steps[steps.length - 1] = alsoDo(steps[steps.length - 1], keysOf('inval', start, end), (s) => shiftInval(s, start, end, -1));
  return steps;
}

/** Prefixes step labels (a callback called twice in one thread needs distinct labels). */
function relabel<S>(steps: readonly Step<S, any>[], prefix: string): Step<S, any>[] {
  return prefix === '' ? [...steps] : steps.map((s) => ({ ...s, label: prefix + s.label }));
}

/** mmu_notifier_invalidate_range(mm, start, end): the driver's callback (labels prefixed by `prefix`), or nothing. */
export function invalidateRangeCall<S extends AnyMm>(ops: NotifierOps<S>, start: number, end: number, prefix = ''): Step<S, any>[] {
  return ops.invalidateRange ? relabel(ops.invalidateRange(start, end, BLOCKABLE), prefix) : [];
}

/**
 * The pre-2017 mmu_notifier_invalidate_page(mm, address): the driver's callback (or a no-op
 * step); its last step closes the window `openInvalidation` opened when the PTE changed. The
 * callback is told about address v only, but the window it closes is that of every address
 * the kernel changed, `changed` (default [v, v + 1)): a huge entry cleared as a whole names one
 * 4 KiB page, and once the call returns nothing tells the subscriber about the others.
 */
export function invalidatePageCall<S extends AnyMm>(ops: NotifierOps<S>, v: number, label = 'invalidate_page', changed: readonly [number, number] = [v, v + 1]): Step<S, any>[] {
  const [start, end] = changed;
  const steps = callbackSteps<S>(label, 'mmu_notifier_invalidate_page', ops.invalidatePage?.(v));
  steps[steps.length - 1] = alsoDo(steps[steps.length - 1], keysOf('inval', start, end), (s) => shiftInval(s, start, end, -1));
  return steps;
}

/**
 * An invalidation storm: mmu_notifier_invalidate_range_start and _end on address 0, again
 * and again forever (another thread of the process calling mprotect() or madvise() on the
 * range in a loop), with no PTE change: a daemon thread's program, for liveness questions
 * (can a fault that retries on invalidations retry forever?).
 */
export function invalidationStorm<S extends AnyMm>(ops: NotifierOps<S>): Step<S, any>[] {
  const steps = [...rangeStartCall(ops, 0, 1), ...rangeEndCall(ops, 0, 1)];
  const last = steps[steps.length - 1];
  steps[steps.length - 1] = { ...last, goto: steps[0].label, targets: [steps[0].label] };
  return steps;
}

/** Opens the invalidate_page window of addresses [v, end) (the kernel changed their PTEs and will call invalidate_page). */
export function openInvalidation<T extends AnyMm>(s: T, v: number, end = v + 1): T {
  return shiftInval(s, v, end, +1);
}
