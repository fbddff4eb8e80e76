// What a running search shows of itself to a thread that is not blocked by it: its figures
// after each level (in shared memory, for the CLI's watchdog thread and its supervisor), and
// the result it would return if it stopped now (for the main thread, called through the
// inspector while a model step never returns: src/cli/watchdog.ts).
import type { CheckResult } from './result.ts';
import type { StopReason } from './stop-request.ts';

/** Words of `figures`. */
const DISTINCT = 0;
const TRANSITIONS = 1;
const DEPTH = 2;

/**
 * A search's figures so far and its partial result.
 *
 * @example
 *   const live = new LiveSearch();
 *   void runSearch(model, { live });
 *   // later, from anywhere on this thread: live.partial?.('time-limit', 'time limit of 2.0 s reached')
 */
export class LiveSearch {
  /** [distinct states, transitions, depth] after the last complete level. */
  readonly figures = new Float64Array(new SharedArrayBuffer(3 * 8));
  /** Set by the search: the result it would return if `reason` stopped it now, with `note` after the reason's own words. */
  partial?: (reason: StopReason, note: string) => CheckResult;

  /** Called by the search after each level. */
  publish(distinct: number, transitions: number, depth: number): void {
    this.figures[DISTINCT] = distinct;
    this.figures[TRANSITIONS] = transitions;
    this.figures[DEPTH] = depth;
  }
}
