// Keeps a model's call to process.exit() from ending mmcheck silently with the model's exit
// code: during a search, process.exit throws instead, and the step that called it is reported
// like any step that throws — in worker threads too (where it would end only that worker).
// mmcheck's own code exits through hardExit.

const realExit = process.exit.bind(process);

/** process.exit as it was before any guard: for mmcheck's own exits (a second Ctrl-C, EPIPE). */
export function hardExit(code?: number): never {
  return realExit(code);
}

/** Thrown in place of exiting when model code calls process.exit during a search. */
export class ModelExitError extends Error {
  override name = 'ModelExitError';
  constructor(
    /** The code the model passed to process.exit, as written (empty when none). */
    readonly exitCode: string,
  ) {
    super(`called process.exit(${exitCode}); a model must not exit the process`);
  }
}

let depth = 0;

function guard(): void {
  if (depth++ === 0) {
    process.exit = ((code?: number | string | null) => {
      throw new ModelExitError(String(code ?? ''));
    }) as typeof process.exit;
  }
}

function unguard(): void {
  if (--depth === 0) process.exit = realExit;
}

/** Runs `search` with process.exit turned into a throw (re-entrant; restored afterwards). */
export async function withExitGuard<T>(search: () => Promise<T>): Promise<T> {
  guard();
  try {
    return await search();
  } finally {
    unguard();
  }
}

/** The same for synchronous model code (a model's `build()`). */
export function withExitGuardSync<T>(run: () => T): T {
  guard();
  try {
    return run();
  } finally {
    unguard();
  }
}
