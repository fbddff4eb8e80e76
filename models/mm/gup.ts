// A driver fault thread's get_user_pages() on a fixed address, as one step: follow_page_pte
// takes the PTL around the lookup (acquired and released by the step), the page gets a
// reference and lands in the thread's local. Shared by the drivers whose fault path is
// "gup; map; put_page" on address v.
import type { Step } from '../../src/model/dsl.ts';
import { GUP_READS, GUP_WRITES } from './keys.ts';
import { gupPage } from './pages.ts';
import type { MmState } from './state.ts';
import { ptl } from './try-to-unmap.ts';

/**
 * The `gup` step: `local := page` referenced by get_user_pages(v) (faulting one in if the PTE
 * is none; `write` = FOLL_WRITE, which breaks a read-only PTE first).
 *
 * @example
 *   steps: [gupStep(0, 'follow_page_pte under the PTL: take a reference'), { label: 'map', … }]
 */
export function gupStep<D extends object>(v: number, note: string, write = false): Step<MmState<D>, number | null> {
  return {
    label: 'gup',
    kernel: 'get_user_pages',
    note,
    // down_read(mmap_sem), and a page fault-in allocates with GFP_HIGHUSER_MOVABLE: both may
    // sleep (might_sleep in __get_user_pages' cond_resched and in the allocator).
    maySleep: true,
    acquire: ptl(v),
    release: ptl(v),
    reads: GUP_READS,
    writes: GUP_WRITES,
    do: ({ shared }) => {
      const r = gupPage(shared, v, write);
      return { shared: r.state, local: r.page };
    },
  };
}
