// Named invariants shared by every composed model (KERNEL.md, "Invariants").
import type { InvariantSpec } from '../../src/model/dsl.ts';
import type { MmState } from './state.ts';

export const NO_USE_AFTER_FREE = 'no use-after-free';

/**
 * no use-after-free: no secondary PTE maps a page that was returned to the allocator (the
 * device could still read or write it through its own page tables).
 */
export function noUseAfterFree<D extends object>(): InvariantSpec<MmState<D>> {
  return {
    name: NO_USE_AFTER_FREE,
    reads: ['spte', 'pages'],
    // A freed page is never handed out again (gupPage faults in only 'unused' pages, and
    // putPage refuses a page with no reference), so once a secondary PTE maps a freed page
    // only a change of that secondary PTE can end the violation.
    repairs: ['spte'],
    check: ({ shared }) => {
      for (let v = 0; v < shared.spte.size; v++) {
        const p = shared.spte.get(v);
        if (p !== null && p !== undefined && shared.pages.get(p)!.state === 'freed') {
          return `spte[${v}] still maps page ${p}, which was freed: the device can read and write freed memory`;
        }
      }
      return null;
    },
  };
}
