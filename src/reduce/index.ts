// State-space reductions: partial-order reduction and symmetry reduction. Re-exports only.
export * from './support.ts';
export * from './search-hooks.ts';
export * from './footprint.ts';
export * from './persistent-set.ts';
export * from './reduction.ts';
export { stepFootprint, threadIndependence, type ThreadIndependence } from './thread-independence.ts';
export { groupRefusal, threadSymmetry } from './thread-symmetry.ts';
