// The kernel side's locks: names and kinds, and the lock table a composed model declares.
import type { LockKind } from '../../src/model/dsl.ts';

/** The page-table lock covering address v (pte_lockptr): a spinlock. */
export function ptl(v: number): string {
  return `ptl[${v}]`;
}

/** The page lock of page p (lock_page: a sleeping bit lock, modelled as a mutex). */
export function pageLock(p: number): string {
  return `page_lock[${p}]`;
}

/** The lock of a huge PMD (pmd_lock): a spinlock. */
export const PMD_LOCK = 'pmd_lock';

/**
 * non_block_start()/non_block_end() around a non-blockable invalidation (the OOM reaper's):
 * might_sleep() complains inside it as under a spinlock (v5.3, "mm, notifier: Catch
 * sleeping/blocking for !blockable"), so it is modelled as holding a spinlock of this name.
 */
export const NON_BLOCK = 'non_block';

/** What a composed model's kernel side uses. */
export interface MmLockOptions {
  /** Addresses with a page table (driver addresses plus the direct-reclaim victim, if any). */
  readonly addresses: number;
  /** Page frames (each has a page lock). */
  readonly pages: number;
}

/**
 * The kernel side's lock table: a PTL per address, a page lock per page, the PMD lock and
 * the non-blocking marker. Locks nothing takes cost nothing but a slot in the state.
 *
 * @example
 *   locks: { ...mmLocks({ addresses: 2, pages: 4 }), mmu_lock: 'spinlock' },
 */
export function mmLocks(o: MmLockOptions): Record<string, LockKind> {
  const out: Record<string, LockKind> = {};
  for (let v = 0; v < o.addresses; v++) out[ptl(v)] = 'spinlock';
  for (let p = 0; p < o.pages; p++) out[pageLock(p)] = 'mutex';
  out[PMD_LOCK] = 'spinlock';
  out[NON_BLOCK] = 'spinlock';
  return out;
}
