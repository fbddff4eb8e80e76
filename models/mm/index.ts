// The kernel side, composed by every driver model: re-exports only.
/**
 * The kernel side a driver model is composed with: page tables, page references, the mmu_notifier callbacks (one subscriber or several), the invalidating paths, faults, and the invariants; and kernel primitives for the driver's own side: work items and workqueues, completions, wait queues, kref, seqcount, SRCU.
 *
 * @module mmcheck/mm
 */
export * from './state.ts';
export * from './device.ts';
export * from './locks.ts';
export * from './pages.ts';
export * from './notifier.ts';
export * from './embed.ts';
export * from './try-to-unmap.ts';
export * from './reclaim.ts';
export * from './direct-reclaim.ts';
export * from './zap.ts';
export * from './mkclean.ts';
export * from './thp.ts';
export * from './fault.ts';
export * from './cow.ts';
export * from './migrate.ts';
export * from './replace-page.ts';
export * from './paths.ts';
export * from './classic.ts';
export * from './invariants.ts';
export * from './keys.ts';
export * from './gup.ts';
export * from './field.ts';
export * from './workqueue.ts';
export * from './completion.ts';
export * from './wait-queue.ts';
export * from './kref.ts';
export * from './seqcount.ts';
export * from './srcu.ts';
export * from './subscribers.ts';
