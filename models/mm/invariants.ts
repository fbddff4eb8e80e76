// Named invariants shared by every composed model (KERNEL.md, "Invariants"). The engine adds
// its own 'no sleeping under a spinlock', 'deadlock freedom' and 'progress' (every thread
// that is not a daemon eventually finishes, under weak fairness).
import type { InvariantSpec } from '../../src/model/dsl.ts';
import type { MmState } from './state.ts';

/** The property names (as reported by the checker). */
export const NO_USE_AFTER_FREE = 'no use-after-free';
/** See `coherence()`. */
export const COHERENCE = 'no secondary mapping outlives its CPU PTE';
/** See `noWritableAfterWrprotect()`. */
export const NO_WRITABLE_AFTER_WRPROTECT = 'no writable secondary mapping of a write-protected page';

/** Every property name a composed model can report, in the order `mmcheck list` shows them. */
export const MM_PROPERTIES = [NO_USE_AFTER_FREE, COHERENCE, NO_WRITABLE_AFTER_WRPROTECT, 'no sleeping under a spinlock', 'deadlock freedom', 'progress'] as const;

/** One of the properties every composed model reports. */
export type MmProperty = (typeof MM_PROPERTIES)[number];

/**
 * A model definition's `expect`: every property of MM_PROPERTIES holds, except those named.
 *
 * @example
 *   expect: expectations([NO_USE_AFTER_FREE, COHERENCE]),
 */
export function expectations(violated: readonly MmProperty[] = []): Record<MmProperty, 'holds' | 'violated'> {
  return Object.fromEntries(MM_PROPERTIES.map((p) => [p, violated.includes(p) ? 'violated' : 'holds'])) as Record<MmProperty, 'holds' | 'violated'>;
}

/**
 * no use-after-free: no secondary PTE maps a page that was returned to the allocator (the
 * device could still read or write it through its own page tables).
 */
export function noUseAfterFree<D extends object>(): InvariantSpec<MmState<D>> {
  return {
    name: NO_USE_AFTER_FREE,
    reads: ['spte', 'pages'],
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

/**
 * no secondary mapping outlives its CPU PTE (coherence): if spte[v] maps page P then pte[v]
 * maps P, writable if the SPTE is — unless v is inside an invalidation for the subscriber
 * (between range_start and the return of range_end, or between the PTE change and the return
 * of invalidate_page); and, always, the CPU and the device never map two different pages at
 * one address.
 */
export function coherence<D extends object>(): InvariantSpec<MmState<D>> {
  return {
    name: COHERENCE,
    // `migration` only names the entry in the message, but it is read.
    reads: ['spte', 'spteWrite', 'pte', 'pteWrite', 'inval', 'migration'],
    check: ({ shared }) => {
      for (let v = 0; v < shared.spte.size; v++) {
        const p = shared.spte.get(v);
        if (p === null || p === undefined) continue;
        const cpu = shared.pte.get(v);
        if (cpu !== null && cpu !== undefined && cpu !== p) {
          return `spte[${v}] maps page ${p} while the CPU PTE maps page ${cpu}: device and CPU see different memory at one address`;
        }
        if (shared.inval.get(v)! > 0) continue;
        if (cpu !== p) {
          const what = shared.migration.get(v) !== null ? `a migration entry for page ${shared.migration.get(v)}` : 'nothing';
          return `spte[${v}] maps page ${p} but the CPU PTE maps ${what}, and no invalidation of address ${v} is in progress`;
        }
        if (shared.spteWrite.get(v) && !shared.pteWrite.get(v)) {
          return `spte[${v}] maps page ${p} writable but the CPU PTE is read-only, and no invalidation of address ${v} is in progress`;
        }
      }
      return null;
    },
  };
}

/**
 * no writable secondary mapping of a write-protected page: once the CPU PTE of v maps page P
 * read-only (page_mkclean, KSM, COW), no writable SPTE of P at v survives past the end of
 * the invalidation — a device write there would never be seen by dirty tracking.
 */
export function noWritableAfterWrprotect<D extends object>(): InvariantSpec<MmState<D>> {
  return {
    name: NO_WRITABLE_AFTER_WRPROTECT,
    reads: ['spte', 'spteWrite', 'pte', 'pteWrite', 'inval'],
    check: ({ shared }) => {
      for (let v = 0; v < shared.spte.size; v++) {
        const p = shared.spte.get(v);
        if (p === null || p === undefined || !shared.spteWrite.get(v)) continue;
        if (shared.pte.get(v) === p && !shared.pteWrite.get(v) && shared.inval.get(v) === 0) {
          return `spte[${v}] maps page ${p} writable after the CPU write-protected it: device writes escape dirty tracking`;
        }
      }
      return null;
    },
  };
}

/** The three kernel-side invariants, for a model's `invariants`. */
export function mmInvariants<D extends object>(): InvariantSpec<MmState<D>>[] {
  return [noUseAfterFree<D>(), coherence<D>(), noWritableAfterWrprotect<D>()];
}
