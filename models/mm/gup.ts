// get_user_pages() on a fixed address for drivers whose fault path is "gup; map; put_page" and
// whose thread local is just the page (number | null): fault.ts's steps with that local.
import type { Step } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import type { AnyMm } from './state.ts';
import { faultSteps, type FaultKinds } from './fault.ts';

export interface GupOptions<S extends AnyMm> {
  /** The address. */
  readonly v: number;
  /** Where to go with the page referenced in the local. */
  readonly next: string;
  /** What the driver holds while it calls get_user_pages, in the code's words. */
  readonly note: string;
  /** FOLL_WRITE. Default false. */
  readonly write?: boolean;
  /** The mm's notifier callbacks (a copy-on-write or direct reclaim inside gup runs them). */
  readonly ops: NotifierOps<S>;
  /** The direct-reclaim victim, if gup's allocations may reclaim. */
  readonly victim?: number;
  /** First step's label (default 'gup') and kernel function (default 'get_user_pages'). */
  readonly label?: string;
  readonly kernel?: string;
  /** What the fault may meet (default: anything). */
  readonly meets?: FaultKinds;
}

/**
 * The steps of get_user_pages(v) into a `number | null` local: the first one, labelled
 * `gup`, follows the PTE under the PTL and goes to `next` with a referenced page.
 *
 * @example
 *   steps: [...gupSteps({ v: 0, next: 'map', note: 'no lock held', ops, victim: 1 }), { label: 'map', … }]
 */
export function gupSteps<S extends AnyMm>(o: GupOptions<S>): Step<S, number | null, any>[] {
  return faultSteps<S, number | null>({
    label: o.label ?? 'gup',
    next: o.next,
    addr: () => o.v,
    addresses: [o.v],
    page: (l) => l,
    withPage: (_l, p) => p,
    write: o.write ?? false,
    takeRef: true,
    kernel: o.kernel ?? 'get_user_pages',
    note: `${o.note}; down_read(mmap_sem); follow_page_pte under the PTL: a reference on the page (a fault resolves a miss first) — may sleep`,
    ops: o.ops,
    victim: o.victim,
    meets: o.meets,
  });
}
