// A request to stop a search, in shared memory: every search thread reads it before each state
// it expands, so a stop lands within one state's work wherever it comes from — a signal
// handler or a timer on the main thread (between ranges), or the CLI's watchdog thread
// (src/cli/watchdog.ts), which is never blocked by model code. The first request wins; its
// reason becomes the search's limit.
import type { Limit } from './result.ts';

/** Why a search was asked to stop (the word's value; 0 = go on): the limit it then ends with. */
export const STOP_REASONS = { interrupted: 1, 'time-limit': 2, memory: 3 } as const satisfies Partial<Record<Limit, number>>;

export type StopReason = keyof typeof STOP_REASONS;

/** Words of the request's buffer. */
const REASON = 0;
const WORDS = 1;

/**
 * A stop request shared by threads. The buffer's word 0 is the reason's code (STOP_REASONS);
 * search threads are given the buffer and read it with `Atomics.load`.
 *
 * @example
 *   const stop = new StopRequest();
 *   setTimeout(() => stop.request('time-limit'), 2000);
 *   await runSearch(model, { stop });
 */
export class StopRequest {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;

  constructor(buffer = new SharedArrayBuffer(4 * WORDS)) {
    this.buffer = buffer;
    this.words = new Int32Array(buffer);
  }

  /** Asks the search to stop for `reason`; false when a request was made before (it stands). */
  request(reason: StopReason): boolean {
    return Atomics.compareExchange(this.words, REASON, 0, STOP_REASONS[reason]) === 0;
  }

  /** True once a request was made (one atomic read: search threads ask before each state). */
  get requested(): boolean {
    return Atomics.load(this.words, REASON) !== 0;
  }

  /** The reason of the request made, if any. */
  get reason(): StopReason | undefined {
    const code = Atomics.load(this.words, REASON);
    return code === 0 ? undefined : stopReasonOf(code);
  }
}

/** The reason a stop word's value stands for (undefined for 0). */
export function stopReasonOf(code: number): StopReason | undefined {
  for (const [reason, c] of Object.entries(STOP_REASONS)) if (c === code) return reason as StopReason;
  return undefined;
}

/**
 * The words a search's result gives a stop: `interrupted`, `time limit of 2.0 s reached`, or
 * for memory the search's own account of it (`memory`).
 */
export function stopText(reason: StopReason, timeLimitMs: number | undefined, memory: () => string): string {
  if (reason === 'interrupted') return 'interrupted';
  if (reason === 'time-limit') return `time limit of ${((timeLimitMs ?? 0) / 1000).toFixed(1)} s reached`;
  return memory();
}
