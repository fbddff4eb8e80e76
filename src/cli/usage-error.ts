// The error of a bad command line or model file: the CLI prints its message and exits 2.

/** A problem with how mmcheck was called or with the model file (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}
