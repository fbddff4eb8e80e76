// Direct reclaim: an allocation that finds too little free memory reclaims pages itself, in
// the allocating thread, with every lock that thread holds (mm/page_alloc.c
// __alloc_pages_slowpath → __alloc_pages_direct_reclaim → __perform_reclaim →
// try_to_free_pages → shrink_page_list). When the page it takes is mapped in an mm with a
// notifier, the invalidate callbacks run right there: a driver holding a lock across an
// allocation that its own callback takes deadlocks on itself. Lockdep sees this through the
// fs_reclaim map (d92a8cfcb37e "locking/lockdep: Rework FS_RECLAIM annotation", v4.14) and
// __mmu_notifier_invalidate_range_start_map (23b68395c7c7 "mm/mmu_notifiers: add a lockdep
// map for invalidate_range_start/end", v5.4); umem_odp primes it with umem_mutex taken under
// fs_reclaim_acquire since "IB/core: Annotate umem_mutex acquisition under fs_reclaim for
// lockdep" (2025), after "IB/mlx5: Fix potential deadlock in MR deregistration" (2025) removed
// a kzalloc(GFP_KERNEL) under umem_mutex that reached mlx5_ib_invalidate_range.
//
// The model's reclaim target is one page that nothing else touches, the victim (initialMm's
// `victim`): an allocation may reclaim it once, while it is still mapped and not locked by
// another reclaimer. GFP_NOWAIT and GFP_ATOMIC allocations never enter direct reclaim.
import type { Step, StepContext } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { mm, type AnyMm } from './state.ts';
import { pageLock } from './locks.ts';
import { shrinkPage } from './reclaim.ts';
import type { NotifierEra } from './try-to-unmap.ts';
import { embed } from './embed.ts';

/** True when direct reclaim could take the victim now: still mapped, and nobody holds its page lock. */
export function victimReclaimable(c: StepContext<AnyMm, any>, victim: number | undefined): boolean {
  return victim !== undefined && mm(c.shared).pte.get(victim) === victim && !c.isLocked(pageLock(victim));
}

/**
 * Direct reclaim inside an allocation: shrink_page_list() on the victim page, run by this
 * thread (labels `prefix…`, entered at `prefix + 'isolate'`), then back to `exit` to allocate again.
 */
export function directReclaim<S extends AnyMm, L>(victim: number, ops: NotifierOps<S>, prefix: string, exit: string, era?: NotifierEra): Step<S, L, any>[] {
  return embed<S, L>(shrinkPage<any>(victim, victim, ops as NotifierOps<any>, { era }) as Step<S, any, any>[], prefix, exit);
}

/**
 * A driver's own allocation step (kmalloc, __get_free_page): `gfp` 'kernel' may sleep and
 * may enter direct reclaim (the choice 'direct reclaim' goes to `drPrefix + 'isolate'`, the
 * embedded reclaim, which comes back to this step);
 * 'nowait' (GFP_NOWAIT / GFP_ATOMIC) neither sleeps nor reclaims.
 */
export function allocationStep<S extends AnyMm, L>(o: { label: string; kernel: string; note: string; gfp: 'kernel' | 'nowait'; victim?: number; drPrefix: string }): Step<S, L, string> {
  const reclaim = o.gfp === 'kernel' && o.victim !== undefined;
  return {
    label: o.label,
    kernel: o.kernel,
    note: o.note,
    maySleep: o.gfp === 'kernel',
    reads: reclaim ? [`pte[${o.victim}]`, `lock:${pageLock(o.victim!)}`] : [],
    writes: [],
    ...(reclaim ? { targets: [o.drPrefix + 'isolate'] } : {}),
    ...(reclaim
      ? {
          choose: (c: StepContext<S, L>) => (victimReclaimable(c, o.victim) ? ['free page', 'direct reclaim'] : ['free page']),
          do: (_c: StepContext<S, L>, choice: string) => (choice === 'direct reclaim' ? { goto: o.drPrefix + 'isolate' } : undefined),
        }
      : {}),
  };
}
