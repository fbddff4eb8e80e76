// Every kernel path that invalidates a secondary mapping, as one parameter (`-p path=…`): the
// kernel threads a driver model is checked against, the initial state each needs, and the
// lock table. A correct driver pattern must hold on every one of them (docs/models.md).
//
//   reclaim    shrink_page_list on a swap-backed anonymous page (reclaim.ts): swap entry, page
//              lock held, freed only if no other reference; a fault waits and gets the page back
//   lazyfree   the same pass on a MADV_FREE page (clean, !PageSwapBacked): the PTE is left
//              none and a fault maps a fresh zero page
//   dontneed   MADV_DONTNEED: zap_page_range with an mmu_gather batch that fills at the first
//              page (zap.ts): freed before range_end. munmap runs the same zap with mmap_sem
//              held for write and then removes the VMA: its interleavings with a driver that
//              takes mmap_sem for read in gup are among these, so it is not a path of its own
//   migrate    unmap_and_move with a migration entry (migrate.ts)
//   mkclean    page_mkclean_one v4.15+ (mkclean.ts): write-protect for writeback, same page
//   cow        a CPU write to a page shared with a forked child: wp_page_copy (cow.ts)
//   replace    a page replaced behind a mapping and freed: KSM's replace_page, uprobes'
//              __replace_page (replace-page.ts)
//   thp-split  __split_huge_pmd (thp.ts): range_start, the PMD becomes PTEs, range_only_end
//   oom        the OOM reaper (v4.19+ __oom_reap_task_mm): a non-blockable range_start around
//              unmap_page_range (zap.ts `nonBlocking`); a callback that would sleep is a
//              sleep under non_block_start, one that returns -EAGAIN skips the range
import type { LockKind, ThreadSpec } from '../../src/model/dsl.ts';
import type { NotifierOps } from './notifier.ts';
import { initialMm, victimAddress, type MmState } from './state.ts';
import { mmLocks } from './locks.ts';
import { shrinkPage } from './reclaim.ts';
import { zapBatch, zapPageRange } from './zap.ts';
import { migratePage } from './migrate.ts';
import { pageMkcleanOne } from './mkclean.ts';
import { cpuFault, type FaultKinds } from './fault.ts';
import { replacePage } from './replace-page.ts';
import { migrateHuge, splitHugePmd } from './thp.ts';
import type { NotifierEra } from './try-to-unmap.ts';
import { expectations } from './invariants.ts';

/** The invalidating paths, in the order tables list them. */
export const PATHS = ['reclaim', 'lazyfree', 'dontneed', 'migrate', 'mkclean', 'cow', 'replace', 'thp-split', 'oom'] as const;
/** One of PATHS. */
export type InvalidatingPath = (typeof PATHS)[number];

/** One line per path, for parameter docs and tables. */
export const PATH_DOCS: Readonly<Record<InvalidatingPath, string>> = {
  reclaim: 'shrink_page_list of a swap-backed page: swap entry, page lock held, freed unless referenced',
  lazyfree: 'shrink_page_list of a clean MADV_FREE page: PTE left none, freed unless referenced',
  dontneed: 'MADV_DONTNEED zap_page_range, mmu_gather batch freed before range_end',
  migrate: 'page migration: migration entry, refcount check, copy, new page',
  mkclean: 'page_mkclean_one: write-protected for writeback, same page',
  cow: 'a CPU write to a page a forked child shares: wp_page_copy',
  replace: "KSM's replace_page / uprobes' __replace_page: a new page, the old one freed",
  'thp-split': '__split_huge_pmd: the huge PMD becomes PTEs to the same pages',
  oom: "the OOM reaper's non-blockable invalidation around unmap_page_range",
};

/**
 * A correct model's `variants`: every path but its default one, each expecting every property
 * to hold (`mmcheck list` shows a row per path; the catalog test checks each).
 *
 * @example
 *   variants: holdsOnEveryPath('reclaim'),
 */
export function holdsOnEveryPath(defaultPath: InvalidatingPath): { params: { path: InvalidatingPath }; expect: ReturnType<typeof expectations> }[] {
  return PATHS.filter((p) => p !== defaultPath).map((path) => ({ params: { path }, expect: expectations([]) }));
}

/** Why a huge page is refused on `path` (one line, for a model error). */
export function hugeRefusal(path: string): string {
  return `huge=true is a hugetlbfs page migrated as a whole, on path=migrate only: on path=${path} these kernels notify a transparent huge page per PTE (reclaim splits it first, MADV_DONTNEED zaps inside range_start/end over the whole range); use -p path=migrate`;
}

/** The doc line of a model's `path` parameter. */
export const PATH_PARAM_DOC = 'the kernel path that invalidates (docs/kernel.md, "Invalidating paths")';

/** What a driver model asks of the kernel side. */
export interface KernelSideOptions<D extends object> {
  readonly path: InvalidatingPath;
  /** Driver addresses: one invalidating thread each (one thread splits the whole PMD for thp-split). */
  readonly addresses: number;
  /** The driver's fields of the shared state. */
  readonly driver: D;
  /** The driver's callbacks. */
  readonly ops: NotifierOps<MmState<D>>;
  /** try_to_unmap_one's era on the reclaim, lazyfree and migrate paths (default v4.15). */
  readonly era?: NotifierEra;
  /** The device maps every driver address at the start. */
  readonly deviceMapped?: boolean;
  /** References the driver holds on each mapped page from the start (a pin). Default 0. */
  readonly extraRefs?: number;
  /** Thread name prefix (default: the path's own, e.g. 'reclaim'); threads are suffixed by address when there are several. */
  readonly name?: string;
  /**
   * The driver addresses are the subpages of one hugetlbfs page mapped by one huge entry,
   * migrated as a whole (models/mm/thp.ts migrateHuge, in `era`). Only on path=migrate: the
   * kernels modelled never unmap a transparent huge page as a whole on the other paths (the
   * THP is split first and each PTE notified at its own address). Default false.
   */
  readonly huge?: boolean;
  /** With `huge`: the kernel near miss of a range_start/end over the first 4 KiB only (HugeMigrationOptions.onePageRange). */
  readonly onePageRange?: boolean;
}

/** The composed kernel side: initial state, locks, threads, and the victim direct reclaim takes. */
export interface KernelSide<D extends object> {
  readonly shared: MmState<D>;
  readonly locks: Record<string, LockKind>;
  readonly threads: ThreadSpec<MmState<D>, any>[];
  /** The direct-reclaim victim's address (also its page id), for the driver threads' allocations. */
  readonly victim: number;
  /** What a fault of a driver thread may meet on this path (its program needs steps for these only). */
  readonly meets: FaultKinds;
}

/** What a fault may meet on `path`: swap entries on reclaim, migration entries on migrate, a shared page on cow. */
export function pathMeets(path: InvalidatingPath): FaultKinds {
  return { swap: path === 'reclaim', migration: path === 'migrate', cow: path === 'cow' };
}

const THREAD_NAMES: Readonly<Record<InvalidatingPath, string>> = {
  reclaim: 'reclaim',
  lazyfree: 'reclaim',
  dontneed: 'madvise',
  migrate: 'migrate',
  mkclean: 'writeback',
  cow: 'cpu_write',
  replace: 'replace',
  'thp-split': 'split',
  oom: 'oom_reaper',
};

/**
 * The kernel side of a driver model on `path`: page v mapped at address v for each driver
 * address, a direct-reclaim victim after them, spare pages for faults and copies (and, for
 * migrate and replace, one target page per address at the end), the lock table, and the
 * invalidating threads.
 *
 * @example
 *   const k = kernelSide({ path, addresses, driver: KVM_FIELDS, ops: kvmNotifier() });
 *   threadModel({ shared: k.shared, locks: { ...k.locks, mmu_lock: 'spinlock' }, threads: [...k.threads, ...vcpus], … })
 */
export function kernelSide<D extends object>(o: KernelSideOptions<D>): KernelSide<D> {
  const n = o.addresses;
  const huge = o.huge ?? false;
  if (huge && o.path !== 'migrate') throw new Error(hugeRefusal(o.path));
  if (o.onePageRange && !(huge && (o.era === 'v4.13' || o.era === 'v4.15' || o.era === undefined))) throw new Error('one-page-range is a near miss of the v4.13+ range_start/end around a huge page: use it with huge=true path=migrate and a version from v4.13');
  const victim = victimAddress(n);
  const targets = o.path === 'migrate' || o.path === 'replace' ? n : 0;
  const spare = 2 * n + targets;
  const pages = n + 1 + spare;
  const target = (v: number) => pages - targets + v;
  const shared = initialMm<D>(n, spare, o.driver, {
    victim: true,
    deviceMapped: o.deviceMapped,
    // The page cache holds file pages under writeback; the uprobes/KSM caller holds a reference.
    refs: (o.path === 'mkclean' || o.path === 'replace' ? 2 : 1) + (o.extraRefs ?? 0),
    cow: o.path === 'cow',
    huge: o.path === 'thp-split' || huge,
  });
  const base = o.name ?? THREAD_NAMES[o.path];
  const named = (v: number) => (n === 1 ? base : `${base}${v}`);
  const thread = (v: number): ThreadSpec<MmState<D>, any> => {
    switch (o.path) {
      case 'reclaim':
        return { name: named(v), locals: null, steps: shrinkPage<D>(v, v, o.ops, { era: o.era }) };
      case 'lazyfree':
        return { name: named(v), locals: null, steps: shrinkPage<D>(v, v, o.ops, { era: o.era, lazyfree: true }) };
      case 'dontneed':
        return { name: named(v), locals: zapBatch(v, v + 1), steps: zapPageRange<D>(v, v + 1, o.ops) };
      case 'oom':
        return { name: named(v), locals: zapBatch(v, v + 1), steps: zapPageRange<D>(v, v + 1, o.ops, { nonBlocking: true }) };
      case 'migrate':
        if (huge) return { name: base, locals: null, steps: migrateHuge<D>(n, target(0), o.ops, { era: o.era, onePageRange: o.onePageRange }) };
        return { name: named(v), locals: null, steps: migratePage<D>(v, target(v), o.ops, { era: o.era }) };
      case 'mkclean':
        return { name: named(v), locals: null, steps: pageMkcleanOne<D>(v, o.ops, { era: 'v4.15' }) };
      case 'cow':
        return { name: named(v), locals: null, steps: cpuFault<MmState<D>>(v, o.ops, pathMeets(o.path)) };
      case 'replace':
        return { name: named(v), locals: null, steps: replacePage<D>(v, target(v), o.ops) };
      case 'thp-split':
        return { name: base, locals: null, steps: splitHugePmd<D>(n, o.ops) };
    }
  };
  const threads = o.path === 'thp-split' || huge ? [thread(0)] : Array.from({ length: n }, (_, v) => thread(v));
  return { shared, locks: mmLocks({ addresses: n + 1, pages }), threads, victim, meets: pathMeets(o.path) };
}
