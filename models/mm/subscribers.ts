// Several mmu_notifier subscribers on one mm (mm/mmu_notifier.c, v4.14): each driver calls
// mmu_notifier_register with its own ops; the core keeps them on mm->mmu_notifier_mm->list and
// every __mmu_notifier_invalidate_range_start / _range / _range_end / _page walks that list
// (hlist_for_each_entry_rcu, inside srcu_read_lock since v3.7) calling each subscriber's
// callback in turn, in the invalidating thread.
//
// The order of the walk: do_mmu_notifier_register adds with hlist_add_head, so the list — and
// every callback walk — runs from the subscriber registered LAST to the one registered first.
// (A driver must not rely on it; a model that does is caught by the test in test/models.)
import type { Step } from '../../src/model/dsl.ts';
import { embed } from './embed.ts';
import type { CallContext, NotifierOps } from './notifier.ts';

/** One subscriber: its name (the prefix of its steps' labels, `name.label`) and its callbacks. */
export interface Subscriber<S> {
  readonly name: string;
  readonly ops: NotifierOps<S>;
}

/**
 * The callbacks the notifier core calls for `registered` (given in the order each called
 * mmu_notifier_register): every callback is the subscribers' own, newest registration first
 * (hlist_add_head), each subscriber's step labels prefixed `name.`. Pass it wherever one
 * driver's NotifierOps go (zapPageRange, kernelSide, …).
 *
 * @example
 *   const ops = subscriberList<S>([{ name: 'kvm', ops: kvmOps }, { name: 'gpu', ops: gpuOps }]);
 *   // range_start runs gpu.… then kvm.…
 */
export function subscriberList<S>(registered: readonly Subscriber<S>[]): NotifierOps<S> {
  const names = registered.map((r) => r.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`subscriber '${twice}' is registered twice: give each subscriber its own name`);
  const walk = [...registered].reverse();
  type Range = (start: number, end: number, ctx: CallContext) => readonly Step<S, any>[];
  const each = (pick: (o: NotifierOps<S>) => Range | undefined): Range | undefined => {
    if (!walk.some((r) => pick(r.ops))) return undefined;
    return (start, end, ctx) => walk.flatMap((r) => embed<S, any>(pick(r.ops)?.(start, end, ctx) ?? [], `${r.name}.`));
  };
  const pageOps = walk.filter((r) => r.ops.invalidatePage);
  return {
    invalidateRangeStart: each((o) => o.invalidateRangeStart),
    invalidateRange: each((o) => o.invalidateRange),
    invalidateRangeEnd: each((o) => o.invalidateRangeEnd),
    ...(pageOps.length ? { invalidatePage: (v: number) => pageOps.flatMap((r) => embed<S, any>(r.ops.invalidatePage!(v), `${r.name}.`)) } : {}),
  };
}
