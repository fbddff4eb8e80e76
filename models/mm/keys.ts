// Footprint keys of the kernel-side state, for the `reads`/`writes`/`updates` declarations
// partial-order reduction uses (docs/reduce.md): per-address fields are `pte[v]`,
// `pteWrite[v]`, `swapEntry[v]`, `swapCache[v]`, `migration[v]`, `spte[v]`, `spteWrite[v]`,
// `tlb[v]`, `tlbWrite[v]`, `inval[v]`; page frames `pages`; `huge`.
import type { Step } from '../../src/model/dsl.ts';
import { hasUserCode } from '../../src/reduce/thread-independence.ts';

/** `field[v]` for every v in [start, end): the keys of one per-address field over a range. */
export function keysOf(field: string, start: number, end: number): string[] {
  const out: string[] = [];
  for (let v = start; v < end; v++) out.push(`${field}[${v}]`);
  return out;
}

/** The keys a device page table change at [start, end) writes (setSpte, zapSptes, clearSptes: the stale translation too). */
export function spteKeys(start: number, end: number): string[] {
  return [...keysOf('spte', start, end), ...keysOf('spteWrite', start, end), ...keysOf('tlb', start, end), ...keysOf('tlbWrite', start, end)];
}

/** The keys a CPU PTE change at v writes (setPte). */
export function pteKeys(v: number): string[] {
  return [`pte[${v}]`, `pteWrite[${v}]`];
}

/**
 * What get_user_pages() (pages.ts gupPage) on any address may read: the PTE and its write
 * bit, a migration entry, and the page frames (the first unused page when it faults one in).
 */
export const GUP_READS: readonly string[] = ['pte[*]', 'pteWrite[*]', 'migration[*]', 'pages'];
/** What get_user_pages() on any address may write: the PTE (fault-in, write fault) and the page frames. */
export const GUP_WRITES: readonly string[] = ['pte[*]', 'pteWrite[*]', 'pages'];

/**
 * The footprint of `step` extended by `reads`/`writes` (for an effect added to it). A step
 * with code that declares nothing keeps declaring nothing (it already reads and writes
 * everything); a step with no code had an empty footprint, so it gets exactly the extra keys.
 */
export function extendFootprint<S, L>(step: Step<S, L, any>, reads: readonly string[], writes: readonly string[]): Pick<Step<S, L, any>, 'reads' | 'writes'> {
  if (hasUserCode(step) && (step.reads === undefined || step.writes === undefined)) return { reads: undefined, writes: undefined };
  return { reads: [...(step.reads ?? []), ...reads], writes: [...(step.writes ?? []), ...writes] };
}
