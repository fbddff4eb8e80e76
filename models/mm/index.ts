// The kernel side, composed by every driver model: re-exports only.
export * from './state.ts';
export * from './pages.ts';
export * from './notifier.ts';
export * from './try-to-unmap.ts';
export * from './zap.ts';
export * from './mkclean.ts';
export * from './thp.ts';
export * from './fault.ts';
export * from './migrate.ts';
export * from './replace-page.ts';
export * from './invariants.ts';
export * from './keys.ts';
export * from './gup.ts';
