// mmcheck's public API: re-exports only.
export * from './model/model.ts';
export * from './model/dsl.ts';
export * from './model/params.ts';
export * from './model/definition.ts';
export * from './model/errors.ts';
export * from './state/fingerprint.ts';
export * from './state/validate.ts';
export * from './explore/result.ts';
export { bfs, type SearchOptions, type Progress } from './explore/bfs.ts';
export { check, buildModel, type CheckOptions } from './check.ts';
export { renderTrace, renderViolation, renderSummary } from './trace/text.ts';
export { parallelBfs, createWorkerPool, type ParallelOptions } from './parallel/parallel-bfs.ts';
