// The kernel side, composed by every driver model: re-exports only.
export * from './state.ts';
export * from './pages.ts';
export * from './notifier.ts';
export * from './try-to-unmap.ts';
export * from './invariants.ts';
