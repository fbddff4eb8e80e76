// mmcheck's public API: re-exports only.
/**
 * The model checker: models, the thread DSL, check() and its results, traces.
 *
 * @module mmcheck
 */
export * from './model/model.ts';
export * from './model/dsl.ts';
export * from './model/assertion.ts';
export * from './model/params.ts';
export * from './model/definition.ts';
export * from './model/errors.ts';
export * from './model/records.ts';
export * from './state/fingerprint.ts';
export * from './state/validate.ts';
export * from './explore/result.ts';
export { compareExpectations, expectKeysProblem, type ExpectationReport, type ExpectationRow } from './explore/expectations.ts';
export { lassoVerdict, type LassoVerdict } from './explore/liveness/lasso-verdict.ts';
export { describeFairness, MAX_PROCESSES, type LivenessPlan } from './explore/liveness/plan.ts';
export { bfs } from './explore/bfs.ts';
export type { SearchOptions, Progress } from './explore/search-options.ts';
export { check, buildModel, type CheckOptions } from './check.ts';
export { renderTrace, renderViolation, renderSummary } from './trace/text.ts';
export { diffValues, formatValue } from './trace/diff.ts';
export { minimizePreemptions, type MinimizeOutcome, type MinimizeOptions } from './trace/minimize.ts';
export { resultToJSON, traceToITF, JSON_FORMAT } from './trace/json.ts';
export { confirmTrace, type ConfirmOutcome } from './trace/confirm.ts';
export { renderHtml } from './trace/html.ts';
export { stateGraphDot, DOT_STATE_LIMIT } from './trace/dot.ts';
export { CoverageCounter, renderCoverage, type CoverageReport } from './trace/coverage.ts';
export { reductionFor, type ReductionChoice, type Independence, type Symmetry, type SearchReduction } from './reduce/index.ts';
export { parallelBfs } from './search/level-search.ts';
export type { ParallelOptions } from './search/level-options.ts';
export { createWorkerPool } from './workers/pool.ts';
