// Exit codes of the mmcheck command (documented in the README).

export const EXIT = {
  /** Every property holds. */
  HOLDS: 0,
  /** A property is violated. */
  VIOLATED: 1,
  /** Bad usage or a bad model (unknown model, bad parameter, a step that throws, …). */
  USAGE: 2,
  /** A limit was hit (states, depth, time, memory, interrupted) before the search finished. */
  INCOMPLETE: 3,
  /** A second Ctrl-C: stop at once. */
  INTERRUPTED_TWICE: 130,
} as const;
