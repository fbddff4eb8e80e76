// Named invariants shared by every composed model (docs/kernel.md, "Invariants"), judged on
// what the device can reach: its page table and any stale translation it still holds
// (device.ts). The engine adds its own 'no sleeping under a spinlock', 'deadlock freedom' and
// 'progress' (every thread that is not a daemon eventually finishes, under weak fairness).
import type { InvariantSpec } from '../../src/model/dsl.ts';
import { deviceReach } from './device.ts';
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

/** The short name of each property in docs/models.md's tables (uaf, coh, wp, sleep, dl, prog). */
export const PROPERTY_SHORT: Readonly<Record<MmProperty, string>> = {
  [NO_USE_AFTER_FREE]: 'uaf',
  [COHERENCE]: 'coh',
  [NO_WRITABLE_AFTER_WRPROTECT]: 'wp',
  'no sleeping under a spinlock': 'sleep',
  'deadlock freedom': 'dl',
  progress: 'prog',
};

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
 * no use-after-free: the device can reach no page that was returned to the allocator —
 * neither through its page table nor through a translation it has not flushed yet.
 */
export function noUseAfterFree<D extends object>(): InvariantSpec<MmState<D>> {
  return {
    name: NO_USE_AFTER_FREE,
    reads: ['spte', 'spteWrite', 'tlb', 'tlbWrite', 'pages'],
    check: ({ shared }) => {
      for (let v = 0; v < shared.spte.size; v++) {
        for (const r of deviceReach(shared, v)) {
          if (shared.pages.get(r.page)!.state === 'freed') {
            return r.stale
              ? `the device still reaches page ${r.page} at address ${v} through a translation not flushed yet, and the page was freed: it can read and write freed memory`
              : `spte[${v}] still maps page ${r.page}, which was freed: the device can read and write freed memory`;
          }
        }
      }
      return null;
    },
  };
}

/**
 * no secondary mapping outlives its CPU PTE (coherence): if the device can reach page P at v
 * (page table or stale translation) then pte[v] maps P, writable if the device may write —
 * unless v is inside an invalidation for the subscriber (between range_start and the return
 * of range_end, or between the PTE change and the return of invalidate_page); and, always,
 * the CPU and the device never map two different pages at one address.
 */
export function coherence<D extends object>(): InvariantSpec<MmState<D>> {
  return {
    name: COHERENCE,
    // `migration` and `swapEntry` only name the entry in the message, but they are read.
    reads: ['spte', 'spteWrite', 'tlb', 'tlbWrite', 'pte', 'pteWrite', 'inval', 'migration', 'swapEntry'],
    check: ({ shared }) => {
      for (let v = 0; v < shared.spte.size; v++) {
        const cpu = shared.pte.get(v);
        for (const r of deviceReach(shared, v)) {
          const through = r.stale ? `the device's unflushed translation of address ${v}` : `spte[${v}]`;
          if (cpu !== null && cpu !== undefined && cpu !== r.page) {
            return `${through} maps page ${r.page} while the CPU PTE maps page ${cpu}: device and CPU see different memory at one address`;
          }
          if (shared.inval.get(v)! > 0) continue;
          if (cpu !== r.page) {
            const what = shared.migration.get(v) !== null ? `a migration entry for page ${shared.migration.get(v)}` : shared.swapEntry.get(v) ? 'a swap entry' : 'nothing';
            return `${through} maps page ${r.page} but the CPU PTE maps ${what}, and no invalidation of address ${v} is in progress`;
          }
          if (r.write && !shared.pteWrite.get(v)) {
            return `${through} maps page ${r.page} writable but the CPU PTE is read-only, and no invalidation of address ${v} is in progress`;
          }
        }
      }
      return null;
    },
  };
}

/**
 * no writable secondary mapping of a write-protected page: once the CPU PTE of v maps page P
 * read-only (page_mkclean, KSM, COW), the device can write P at v through nothing — page
 * table or unflushed translation — past the end of the invalidation: a device write there
 * would never be seen by dirty tracking.
 */
export function noWritableAfterWrprotect<D extends object>(): InvariantSpec<MmState<D>> {
  return {
    name: NO_WRITABLE_AFTER_WRPROTECT,
    reads: ['spte', 'spteWrite', 'tlb', 'tlbWrite', 'pte', 'pteWrite', 'inval'],
    check: ({ shared }) => {
      for (let v = 0; v < shared.spte.size; v++) {
        if (shared.inval.get(v) !== 0 || shared.pteWrite.get(v)) continue;
        for (const r of deviceReach(shared, v)) {
          if (r.write && shared.pte.get(v) === r.page) {
            return `${r.stale ? `the device's unflushed translation of address ${v}` : `spte[${v}]`} maps page ${r.page} writable after the CPU write-protected it: device writes escape dirty tracking`;
          }
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
